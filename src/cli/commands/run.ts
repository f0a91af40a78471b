import { loadWorkflowFile, raceAbort, runWorkflow, TeaError } from '../../cli-api';
import type { EventSink, RunEvent } from '../../cli-api';
import { parseCommandArgs, type Command } from '../command';
import { readInput } from '../input';
import { writeAll } from '../io';
import { JobLog } from '../joblog';
import { logEvents, stderrLogger } from '../logger';
import { checkOutputPath, writeJsonAtomic } from '../output';
import { Progress } from '../progress';
import { exitCodeFor } from '../report-error';
import { SummaryCollector } from '../summary';

const usage = `Usage: tea run <workflow.yaml> [options]

Runs a workflow, or the part of it from --entry-point up to (not including) --exit-point.

Options:
  --entry-point <node>  first node to run (default: the start of the graph)
  --exit-point <node>   node to stop before; it is not run (default: the end)
  --input <x>           initial state: a JSON file path, @path, inline JSON ('{"a":1}'), or - for stdin
  --output <file>       write the final state as JSON to <file> (atomically; nothing on error);
                        without it the state is printed on stdout (unless --json)
  --joblog <file>       one tab-separated row per branch attempt (GNU Parallel style columns:
                        Seq Host Starttime JobRuntime Exitval Signal ErrorCode Branch Attempt FanOut Strategy)
  --dry-run             validate the workflow and config, resolve hosts and keys, print the fan-outs,
                        hosts and uploads; run nothing, write nothing, connect to nothing
  --json                print one JSON object on stdout: the run summary (or, with --dry-run, the plan);
                        the state then goes only to --output
  -v, --verbose         debug logs, run events, and stack traces on error
  -q, --quiet           errors only; no progress; do not print the state
  -h, --help            this help

Progress of remote fan-outs is shown on stderr: a status line at the bottom of a terminal (log lines
print above it), a line every 5 s otherwise.

Exit codes: 0 success, 1 a node or branch failed, 2 bad usage, workflow or input,
130 interrupted (Ctrl-C).
`;

const options = {
  'entry-point': { type: 'string' },
  'exit-point': { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  joblog: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Seconds between plain progress lines when stderr is not a terminal (TEA_PROGRESS_INTERVAL overrides, for tests and CI logs). */
function progressIntervalMs(): number {
  const seconds = Number(process.env.TEA_PROGRESS_INTERVAL);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 5000;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run a workflow, or the part between --entry-point and --exit-point',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('run', { args, options, allowPositionals: true, strict: true });
    if (values.help) {
      await writeAll(io.stdout, usage);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new TeaError('E_USAGE', `tea run: expected one workflow file, got ${positionals.length} (see "tea run --help")`);
    }
    if (values.verbose && values.quiet) throw new TeaError('E_USAGE', 'tea run: --verbose and --quiet cannot be used together');
    // Progress of remote fan-outs on stderr; log lines then go above its bar.
    const progress = values.quiet || values['dry-run']
      ? null
      : new Progress({ stream: io.stderr, tty: (io.stderr as { isTTY?: boolean }).isTTY === true, intervalMs: progressIntervalMs() });
    const logStream = progress === null ? io.stderr : ({ write: (text: string) => (progress.write(text), true) } as unknown as NodeJS.WritableStream);
    const logger = stderrLogger(logStream, values.verbose ? 'verbose' : values.quiet ? 'quiet' : 'normal');

    const output = values.output === undefined ? undefined : await checkOutputPath(values.output);
    // A branch-form workflow (what process and remote branches get) is loaded only as far as this scope reaches.
    const scope = {
      ...(values['entry-point'] === undefined ? {} : { entryPoint: values['entry-point'] }),
      ...(values['exit-point'] === undefined ? {} : { exitPoint: values['exit-point'] }),
    };
    const workflow = await raceAbort(loadWorkflowFile(positionals[0]!, { scope }), io.signal);
    const input = await raceAbort(readInput(values.input, io.stdin), io.signal);

    if (values['dry-run']) {
      // Loaded on use: it reads SSH settings (ssh2), which a plain run must not pay for at startup.
      const { dryRunFailed, formatDryRun, planDryRun } = await import('../dry-run');
      const plan = await planDryRun(workflow, values['entry-point'], values['exit-point'], input);
      await writeAll(io.stdout, values.json ? `${JSON.stringify(plan)}\n` : formatDryRun(plan), io.signal);
      // A host that cannot work as configured makes the check fail (it is listed in warnings).
      return dryRunFailed(plan) ? 2 : 0;
    }

    const sinks: EventSink[] = [];
    if (values.verbose) sinks.push(logEvents(logger));
    if (progress !== null) sinks.push(progress.onEvent);
    const joblog = values.joblog === undefined ? null : JobLog.open(values.joblog);
    if (joblog !== null) sinks.push(joblog.onEvent);
    const summary = values.json ? new SummaryCollector() : null;
    if (summary !== null) sinks.push(summary.onEvent);
    const events = (event: RunEvent) => {
      for (const sink of sinks) sink(event);
    };

    let state;
    try {
      state = await runWorkflow(workflow, {
        ...(values['entry-point'] === undefined ? {} : { entryPoint: values['entry-point'] }),
        ...(values['exit-point'] === undefined ? {} : { exitPoint: values['exit-point'] }),
        input,
        signal: io.signal,
        logger,
        events,
      });
      if (output !== undefined) await writeJsonAtomic(output, state);
    } catch (error) {
      progress?.stop();
      joblog?.close();
      if (summary !== null) await writeAll(io.stdout, `${JSON.stringify(summary.finish(exitCodeFor(error), null, error))}\n`, io.signal);
      throw error;
    }
    progress?.stop();
    joblog?.close();
    if (summary !== null) await writeAll(io.stdout, `${JSON.stringify(summary.finish(0, output ?? null))}\n`, io.signal);
    else if (output === undefined && !values.quiet) await writeAll(io.stdout, `${JSON.stringify(state, null, 2)}\n`, io.signal);
    return 0;
  },
};
