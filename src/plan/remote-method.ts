import type { ParallelConfig } from '../config/parallel';
import type { RemoteConfig } from '../config/remote';
import { errorMessage } from '../errors';
import type { ExecutorContext } from '../executors/context';
import type { Flow } from '../executors/types';
import { detectGnuParallel, type GnuParallelDetection } from './detect';
import { buildPlan, remoteDirFor, specFromConfig } from './gnu-parallel';

export type RemoteMethod =
  | { method: 'ssh2'; reason: string; /** gnu_parallel: plan — log each fan-out's GNU Parallel command. */ logPlan: boolean }
  | { method: 'gnu-parallel'; reason: string; command: string };

const SSH2_DEFAULT = 'default pure-Node transport (no system ssh, scp or rsync needed)';

/**
 * How a remote executor runs its fan-outs, from `settings.parallel.remote.gnu_parallel`:
 * `off` (default) and `plan` use ssh2 (`plan` also logs the GNU Parallel command);
 * `run` uses GNU Parallel when it (with ssh and rsync) is installed, else ssh2 with
 * the reason logged. Emits the one `method` event of the executor.
 */
export async function chooseRemoteMethod(
  remote: RemoteConfig | undefined,
  context: ExecutorContext,
  detect: () => Promise<GnuParallelDetection> = () => detectGnuParallel(),
): Promise<RemoteMethod> {
  const mode = remote?.gnu_parallel ?? 'off';
  let choice: RemoteMethod;
  if (mode === 'off') {
    choice = { method: 'ssh2', reason: SSH2_DEFAULT, logPlan: false };
  } else if (mode === 'plan') {
    choice = { method: 'ssh2', reason: 'gnu_parallel is "plan": branches run over ssh2, the equivalent GNU Parallel command is logged', logPlan: true };
  } else {
    const found = await detect();
    choice = found.found
      ? { method: 'gnu-parallel', reason: `gnu_parallel is "run" and GNU Parallel ${found.version} is installed`, command: found.command }
      : { method: 'ssh2', reason: `gnu_parallel is "run" but ${found.reason}: using ssh2`, logPlan: false };
  }
  if (mode !== 'off') context.logger.info(`remote: ${choice.reason}`);
  context.events({ type: 'method', method: choice.method, reason: choice.reason });
  return choice;
}

/** gnu_parallel: plan — logs the command that would run this fan-out; a plan that cannot be made never stops the ssh2 run. */
export function logPlan(flows: readonly Flow[], config: ParallelConfig, runId: string, fanout: number, context: ExecutorContext): void {
  try {
    const remote = config.remote!;
    const { spec } = specFromConfig(config, flows, remoteDirFor(remote.workdir, runId, fanout));
    const plan = buildPlan(spec);
    context.logger.info(
      `gnu-parallel plan for fan-out ${fanout} (${flows.length} branch(es); run it from a directory staged by "tea plan --dir"): ${plan.run.line}`,
    );
  } catch (error) {
    context.logger.warn(`gnu-parallel plan for fan-out ${fanout} cannot be made: ${errorMessage(error)}`);
  }
}
