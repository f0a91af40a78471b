import { loadWorkflowFile, runWorkflow, TeaError } from '../../index';
import { parseCommandArgs, type Command } from '../command';
import { readInput } from '../input';
import { writeAll } from '../io';
import { logEvents, stderrLogger } from '../logger';
import { checkOutputPath, writeJsonAtomic } from '../output';

const usage = `Usage: tea run <workflow.yaml> [options]

Runs a workflow, or the part of it from --entry-point up to (not including) --exit-point.

Options:
  --entry-point <node>  first node to run (default: the start of the graph)
  --exit-point <node>   node to stop before; it is not run (default: the end)
  --input <x>           initial state: a JSON file path, @path, inline JSON ('{"a":1}'), or - for stdin
  --output <file>       write the final state as JSON to <file> (atomically; nothing on error);
                        without it the state is printed on stdout
  -v, --verbose         debug logs, run events, and stack traces on error
  -q, --quiet           errors only; do not print the state
  -h, --help            this help

Exit codes: 0 success, 1 a node or branch failed, 2 bad usage, workflow or input,
130 interrupted (Ctrl-C).
`;

const options = {
  'entry-point': { type: 'string' },
  'exit-point': { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

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
    const logger = stderrLogger(io.stderr, values.verbose ? 'verbose' : values.quiet ? 'quiet' : 'normal');

    const output = values.output === undefined ? undefined : await checkOutputPath(values.output);
    const workflow = await loadWorkflowFile(positionals[0]!);
    const input = await readInput(values.input, io.stdin);
    const state = await runWorkflow(workflow, {
      ...(values['entry-point'] === undefined ? {} : { entryPoint: values['entry-point'] }),
      ...(values['exit-point'] === undefined ? {} : { exitPoint: values['exit-point'] }),
      input,
      signal: io.signal,
      logger,
      ...(values.verbose ? { events: logEvents(logger) } : {}),
    });
    if (output !== undefined) await writeJsonAtomic(output, state);
    else if (!values.quiet) await writeAll(io.stdout, `${JSON.stringify(state, null, 2)}\n`);
    return 0;
  },
};
