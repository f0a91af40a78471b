import { join } from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import type { Flow, ParallelFlowResult } from '../../../src/executors/types';
import { RemoteExecutor } from '../../../src/remote/executor';
import type { HostsFixture } from '../../harness/hosts';
import { capture } from '../remote/helpers';

export const FAKE_TEA = join(__dirname, 'fake-tea.sh');

export const flows = (n: number, name: (i: number) => string = (i) => `ok${i}`): Flow[] =>
  Array.from({ length: n }, (_, i) => ({ entryPoint: name(i), exitPoint: 'join', state: { i } }));

/** Fast faults: short connect timeout, keepalive and backoff, the stand-in basefile. */
export function faultConfig(fx: HostsFixture, remote: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return parseParallelConfig({
    strategy: 'remote',
    retry: { max_retries: 3, base_delay: 0.05, max_delay: 0.5 },
    circuit_breaker: { failure_threshold: 2, reset_timeout: 30 },
    ...extra,
    remote: fx.remoteConfig({
      basefile: FAKE_TEA,
      connect_timeout: 3,
      keepalive_interval: 1,
      keepalive_count_max: 2,
      kill_grace_seconds: 1,
      ...remote,
    }),
  });
}

export interface FaultRun {
  results: ParallelFlowResult[];
  ms: number;
  logs: string[];
  runId: string;
  executor: RemoteExecutor;
}

/** Runs flows through a fresh RemoteExecutor; `during` gets to inject a fault mid-run. */
export async function runFault(
  flowsIn: Flow[],
  config: ReturnType<typeof faultConfig>,
  during?: (executor: RemoteExecutor) => Promise<void>,
): Promise<FaultRun> {
  const captured = capture('name: faults\n');
  const executor = new RemoteExecutor(captured.context);
  const started = Date.now();
  try {
    const [results] = await Promise.all([executor.execute(flowsIn, config), during?.(executor)]);
    return { results, ms: Date.now() - started, logs: captured.logs, runId: executor.runId, executor };
  } finally {
    await executor.close();
  }
}

/** Processes on the host whose command line mentions this run ("[r]" keeps the probe itself out). */
export async function runProcesses(fx: HostsFixture, index: number, runId: string): Promise<string[]> {
  const { stdout } = await fx.exec(index, `pgrep -af '[r]un-${runId}' || true`);
  return stdout.split('\n').filter(Boolean);
}

/** Files of this run left under the workdir (the basefile cache is allowed to stay). */
export async function leftovers(fx: HostsFixture, index: number, runId: string): Promise<string[]> {
  const workdir = fx.remoteConfig().workdir as string;
  const { stdout } = await fx.exec(index, `ls -A ${workdir} 2>/dev/null | grep -v '^.cache$' || true; ls -A ${workdir}/.cache 2>/dev/null | grep tmp || true`);
  return stdout.split('\n').filter((l) => l.includes(runId) || l.includes('tmp'));
}

export const waitFor = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
};

/** The promises every fault test keeps: one result per flow, in order, each success or classified. */
export function expectOneResultEach(results: ParallelFlowResult[], input: Flow[]): void {
  expect(results).toHaveLength(input.length);
  results.forEach((r, i) => {
    expect(r.branch).toBe(input[i]!.entryPoint);
    if (!r.success) expect(r.error_type).toMatch(/^E_[A-Z_]+$/);
  });
}
