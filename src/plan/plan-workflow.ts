import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TeaError, errorMessage } from '../errors';
import type { State } from '../executors/types';
import { loadBasefile } from '../remote/host/basefile';
import type { Workflow } from '../workflow/types';
import { remoteFanOuts, type RemoteFanOut } from './fan-outs';
import { buildPlan, remoteDirFor, specFromConfig, type GnuParallelPlan, type PlanFlow } from './gnu-parallel';
import { allScript } from './script';
import { stagePlan } from './stage';

export interface FanOutPlan {
  /** 1-based, in the order a walk from the start meets the fan-outs. */
  index: number;
  fanOut: RemoteFanOut;
  flows: (PlanFlow & { state: State })[];
  plan: GnuParallelPlan;
  /** How this plan behaves differently from the ssh2 path. */
  notes: string[];
  /** Where it was staged (with `dir`). */
  dir?: string;
}

export interface WorkflowPlan {
  fanOuts: FanOutPlan[];
  /** The local file shipped as `tea`, or why it cannot be found. */
  basefile: { path: string } | { error: string };
  /** `<dir>/run.sh`, when staged and there is a fan-out. */
  script?: string;
}

export interface PlanWorkflowOptions {
  /** The state every branch gets; default: the workflow's initial_state. */
  input?: State;
  /** Stage every plan under `<dir>/fanout-<k>` with its run.sh, and `<dir>/run.sh` for all. Must be missing or empty. */
  dir?: string;
}

/**
 * The GNU Parallel plan of every remote fan-out a run from the start can reach.
 * Nothing has run, so the state at a fan-out is unknown: every branch gets the
 * given input (or initial_state).
 */
export async function planWorkflow(workflow: Workflow, options: PlanWorkflowOptions = {}): Promise<WorkflowPlan> {
  const state = options.input ?? workflow.initialState;
  const runId = `plan-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const remote = workflow.parallel.remote;
  let basefile: WorkflowPlan['basefile'];
  try {
    basefile = { path: loadBasefile(remote?.basefile).localPath };
  } catch (error) {
    if (options.dir !== undefined) throw error;
    basefile = { error: errorMessage(error) };
  }
  const fanOuts = remoteFanOuts(workflow).map((fanOut, i): FanOutPlan => {
    const flows = fanOut.branches.map((b) => ({ entryPoint: b, exitPoint: fanOut.fanIn, state: structuredClone(state) }));
    const { spec, notes } = specFromConfig(workflow.parallel, flows, remoteDirFor(remote!.workdir, runId, i + 1));
    return { index: i + 1, fanOut, flows, plan: buildPlan(spec), notes };
  });
  if (options.dir === undefined || fanOuts.length === 0) return { fanOuts, basefile };

  const root = path.resolve(options.dir);
  await checkEmpty(root);
  for (const f of fanOuts) {
    f.dir = path.join(root, `fanout-${f.index}`);
    await stagePlan({
      dir: f.dir,
      plan: f.plan,
      flows: f.flows,
      basefile: (basefile as { path: string }).path,
      workflowText: workflow.branchText,
      script: { from: f.fanOut.from, fanIn: f.fanOut.fanIn, branches: f.flows.length },
    });
  }
  const script = path.join(root, 'run.sh');
  await writeFile(script, allScript(fanOuts.map((f) => path.basename(f.dir!))), { mode: 0o700 });
  return { fanOuts, basefile, script };
}

async function checkEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new TeaError('E_USAGE', `--dir ${dir}: ${error.message}`, { cause: error });
  });
  if (entries.length > 0) throw new TeaError('E_USAGE', `--dir ${dir} is not empty: give a new or empty directory`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
