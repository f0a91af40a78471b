import path from 'node:path';
import { loadPlanning, loadWorkflowFile, quote, raceAbort, TeaError } from '../../cli-api';
import type { FanOutPlan, WorkflowPlan } from '../../cli-api';
import { parseCommandArgs, type Command } from '../command';
import { readInput } from '../input';
import { writeAll } from '../io';

const usage = `Usage: tea plan <workflow.yaml> [--input X] [--dir DIR]

Prints the GNU Parallel command that runs each remote fan-out a run from the start can
reach: one job per remote branch, on the workflow's hosts (settings.parallel.remote).
Nothing runs, so the state at a fan-out is not known: every branch gets the --input
state (default: the workflow's initial_state).

Options:
  --input <x>   the state every branch gets: a JSON file path, @path, inline JSON, or - for stdin
  --dir <DIR>   also write what the plans read (tea, workflow.yaml, each branch's input) and
                executable scripts: DIR/fanout-K/run.sh runs fan-out K and leaves branch i's
                final state in DIR/fanout-K/flows/i/result.json; DIR/run.sh runs them all.
                DIR must be new or empty.
  -h, --help    this help

GNU Parallel needs ssh and rsync here, and perl and rsync on every host: see docs/gnu-parallel.md.
`;

const options = {
  input: { type: 'string' },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const planCommand: Command = {
  name: 'plan',
  summary: 'print (and with --dir, stage) the GNU Parallel command for each remote fan-out',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('plan', { args, options, allowPositionals: true, strict: true });
    if (values.help) {
      await writeAll(io.stdout, usage);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new TeaError('E_USAGE', `tea plan: expected one workflow file, got ${positionals.length} (see "tea plan --help")`);
    }
    const workflow = await raceAbort(loadWorkflowFile(positionals[0]!), io.signal);
    const input = values.input === undefined ? undefined : await raceAbort(readInput(values.input, io.stdin), io.signal);
    // Loaded on use, like every command's heavy parts: `tea run` (every remote branch) starts faster.
    const { planWorkflow, detectGnuParallel } = await loadPlanning();
    const [plan, detected] = await Promise.all([
      planWorkflow(workflow, { ...(input === undefined ? {} : { input }), ...(values.dir === undefined ? {} : { dir: values.dir }) }),
      detectGnuParallel(),
    ]);
    const found = detected.found ? `GNU Parallel ${detected.version} is installed here` : `${detected.reason}: install it to run these`;
    await writeAll(io.stdout, render(plan, input === undefined ? 'the workflow\'s initial_state' : 'the --input state', found), io.signal);
    return 0;
  },
};

function render(plan: WorkflowPlan, stateFrom: string, found: string): string {
  if (plan.fanOuts.length === 0) return '# no fan-out with remote branches is reachable from the start: nothing for GNU Parallel to run\n';
  const out = [`# ${found}.`];
  if ('error' in plan.basefile) out.push(`# tea basefile: ${plan.basefile.error}`);
  else out.push(`# tea basefile (shipped to every host as ./tea): ${plan.basefile.path}`);
  if (plan.script !== undefined) out.push(`# all fan-outs, in turn: ${quote(plan.script)}`);
  for (const f of plan.fanOuts) out.push('', ...fanOut(f, stateFrom));
  return `${out.join('\n')}\n`;
}

function fanOut(f: FanOutPlan, stateFrom: string): string[] {
  const name = (s: string) => JSON.stringify(s);
  const lines = [
    `# fan-out ${f.index}: ${name(f.fanOut.from)} -> ${f.flows.length} remote branch${f.flows.length === 1 ? '' : 'es'} -> fan-in ${name(f.fanOut.fanIn)}`,
    `# every branch gets ${stateFrom}; in a real run it gets the state the run has when it reaches ${name(f.fanOut.from)}`,
    ...f.flows.map((flow, i) => `#   job ${i + 1}: branch ${name(flow.entryPoint)} -> flows/${i}/input.json, result in flows/${i}/result.json`),
    `# on each host the jobs run in ${f.plan.remoteDir}: ${f.plan.jobCommand}`,
    ...f.notes.map((n) => `# note: ${n}`),
  ];
  if (f.dir !== undefined) {
    lines.push(`# staged in ${f.dir}; run it with: ${quote(path.join(f.dir, 'run.sh'))}`, `cd -- ${quote(f.dir)} && ${f.plan.run.line}`);
  } else {
    lines.push('# run from a directory holding the files it reads (tea plan --dir writes them):', f.plan.run.line);
  }
  if (f.plan.sweep.length > 0) lines.push('# then, to remove what failed or timed-out jobs left on the hosts:', ...f.plan.sweep.map((c) => c.line));
  return lines;
}
