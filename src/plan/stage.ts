import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TeaError, errorMessage } from '../errors';
import type { State } from '../executors/types';
import type { GnuParallelPlan, PlanFlow } from './gnu-parallel';
import { PLAN_FILES, flowInput } from './layout';
import { runScript, type ScriptInfo } from './script';

export interface StageOptions {
  /** Created if missing (mode 0700: states can hold secrets). */
  dir: string;
  plan: GnuParallelPlan;
  flows: readonly (PlanFlow & { state: State })[];
  /** The local file shipped to hosts as `tea`. */
  basefile: string;
  workflowText: string;
  /** Also write an executable run.sh. */
  script?: ScriptInfo;
}

/**
 * Writes what the plan reads, under its staging directory: a copy of the basefile
 * (so the directory is self-contained and rsync ships a regular file, not a
 * symlink), the full workflow, each branch's input state and the NUL-separated
 * input sources (branch i's record i in each).
 */
export async function stagePlan(options: StageOptions): Promise<void> {
  const { dir, flows } = options;
  const file = (name: string) => path.join(dir, name);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await mkdir(file('args'), { mode: 0o700 });
    await copyFile(options.basefile, file(PLAN_FILES.tea));
    await chmod(file(PLAN_FILES.tea), 0o700);
    await writeFile(file(PLAN_FILES.workflow), options.workflowText, { mode: 0o600 });
    const records = (values: string[]) => values.map((v) => `${v}\0`).join('');
    await writeFile(file(PLAN_FILES.flowIds), records(flows.map((_, i) => String(i))), { mode: 0o600 });
    await writeFile(file(PLAN_FILES.entryPoints), records(flows.map((f) => f.entryPoint)), { mode: 0o600 });
    await writeFile(file(PLAN_FILES.exitPoints), records(flows.map((f) => f.exitPoint)), { mode: 0o600 });
    for (const [i, flow] of flows.entries()) {
      await mkdir(path.dirname(file(flowInput(i))), { recursive: true, mode: 0o700 });
      await writeFile(file(flowInput(i)), JSON.stringify(flow.state), { mode: 0o600 });
    }
    if (options.script !== undefined) {
      await writeFile(file(PLAN_FILES.script), runScript(options.plan, options.script, flows.map((f) => f.entryPoint)), { mode: 0o700 });
    }
  } catch (error) {
    throw new TeaError('E_STAGING_FAILED', `cannot stage the GNU Parallel plan in ${dir}: ${errorMessage(error)}`, { cause: error });
  }
}
