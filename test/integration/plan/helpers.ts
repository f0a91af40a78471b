import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import type { ParallelFlowResult } from '../../../src/executors/types';
import { RemoteStrategyExecutor } from '../../../src/executors/remote';
import type { HostsFixture } from '../../harness/hosts';
import { capture, type Captured } from '../remote/helpers';

/** Written by a branch name's `$(...)` or backticks if any shell ever evaluated it. */
export const SENTINEL = `/tmp/tea-gp-pwned-${randomBytes(4).toString('hex')}`;

/** Branch names that break naive quoting, GNU Parallel's ::: parsing, or its joblog columns. */
export const TRICKY = [`it's "q" $(touch ${SENTINEL}) \`touch ${SENTINEL}\` ;x`, 'new\nline\ttab', 'ünïcødé ✓ & | *', '-starts-with-dash', 'plain'];

/** A fan-out from `start` to every TRICKY branch plus `fail` and `slow`, joined at `join`. */
export const TRICKY_YAML = `
name: gnu-parallel-vs-ssh2
settings:
  parallel:
    strategy: remote
    remote: { hosts: [placeholder] }
nodes:
  - name: start
${TRICKY.map((n) => `  - name: ${JSON.stringify(n)}\n    run: |\n      return { who: ${JSON.stringify(n)}, doubled: state.n * 2, nested: { list: [1, 'two', null] }, nodeEnv: process.env.TEA_REMOTE_BRANCH };`).join('\n')}
  - name: fail
    run: |
      process.stderr.write('about to fail\\n');
      throw new Error('branch failed on purpose: ' + state.n);
  - name: slow
    run: |
      require('fs').writeFileSync(state.pidFile, String(process.pid));
      await new Promise((resolve) => setTimeout(resolve, 600000));
      return { slow: true };
  - name: join
    run: |
      return { joined: parallel_results.length };
edges:
  - { from: start, to: ${JSON.stringify([...TRICKY, 'fail', 'slow'])}, type: parallel, fan_in: join }
${[...TRICKY, 'fail', 'slow'].map((n) => `  - { from: ${JSON.stringify(n)}, to: join }`).join('\n')}
`;

export interface Outcome extends Captured {
  results: ParallelFlowResult[];
  executor: RemoteStrategyExecutor;
}

/** Runs flows on the fixture hosts through the remote strategy (ssh2 or GNU Parallel, as gnu_parallel says) with the given settings.parallel (remote merged over the fixture's). */
export async function runRemote(
  fx: HostsFixture,
  flows: { entryPoint: string; exitPoint: string; state: Record<string, unknown> }[],
  remote: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  workflowText = TRICKY_YAML,
): Promise<Outcome> {
  const captured = capture(workflowText);
  const executor = new RemoteStrategyExecutor(captured.context);
  const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, ...extra, remote: fx.remoteConfig(remote) });
  try {
    const results = await executor.execute(flows, config);
    return { results, executor, ...captured };
  } finally {
    await executor.close();
  }
}

/** What must agree between the GNU Parallel and ssh2 paths (hosts, timings and attempts may differ). */
export const comparable = (r: ParallelFlowResult) => ({
  branch: r.branch,
  success: r.success,
  state: r.state,
  error_type: r.error_type,
  timeout: r.timeout,
  exit_code: r.exit_code,
});

/**
 * The fixture's key and known_hosts copied to paths with spaces and a comma: the
 * --ssh option, a per-host sshlogin and rsync's -e must all carry them.
 */
export function awkwardKeyPaths(fx: HostsFixture): { identity: string; knownHosts: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tea gp keys, '));
  mkdirSync(path.join(dir, 'a b'), { mode: 0o700 });
  const identity = path.join(dir, 'a b', 'id, ed25519');
  const knownHosts = path.join(dir, 'a b', 'known hosts');
  copyFileSync(fx.clientKeyPath, identity);
  copyFileSync(fx.knownHostsPath, knownHosts);
  return { identity, knownHosts, dir };
}
