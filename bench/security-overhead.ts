/**
 * What the security features cost per flow and per connection, against local sshd:
 * - env_vars: none vs export_file (one more SFTP write + unlink per flow) vs ssh_env
 *   (env requests on each exec channel, plus one AcceptEnv probe per host);
 * - handshake time, direct vs through one ProxyJump host (events' handshake_ms).
 *
 * Usage (from the repo root, after `npm run build`; flows 0: handshakes only):
 *   npx esbuild bench/security-overhead.ts --bundle --platform=node --outfile=bench/dist/security-overhead.js \
 *     --external:cpu-features --external:'*.node' --log-level=warning && node bench/dist/security-overhead.js [flows] [rounds]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseParallelConfig } from '../src/config/parallel';
import { silentLogger } from '../src/log';
import { RemoteExecutor } from '../src/remote/executor';
import { resolveHosts } from '../src/remote/trust/hosts';
import { ConnectionPool } from '../src/remote/ssh/pool';
import { startLocalHosts } from '../test/harness/hosts';

const FLOWS = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const WORKFLOW = `
nodes:
  - { name: s }
  - { name: w, run: "return { ok: process.env.TEA_BENCH_A !== undefined }" }
  - { name: j }
edges:
  - { from: s, to: w, type: parallel, fan_in: j }
  - { from: w, to: j }
`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const fx = await startLocalHosts({ count: 2 });
  const sshConfig = join(fx.hosts[0]!.logPath, '..', 'bench_ssh_config');
  writeFileSync(
    sshConfig,
    `Host bench-jump\n  HostName 127.0.0.1\n  Port ${fx.hosts[0]!.port}\nHost bench-via\n  HostName 127.0.0.1\n  Port ${fx.hosts[1]!.port}\n  ProxyJump bench-jump\n`,
  );
  Object.assign(process.env, { TEA_BENCH_A: 'a'.repeat(64), TEA_BENCH_B: 'b'.repeat(64), TEA_BENCH_C: 'c'.repeat(64) });
  const run = async (remote: Record<string, unknown>, flows: number) => {
    const executor = new RemoteExecutor({ workflowText: WORKFLOW, logger: silentLogger, events: () => {} });
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ ...remote, max_channels_per_host: 8 }) });
    const flowList = Array.from({ length: flows }, () => ({ entryPoint: 'w', exitPoint: 'j', state: {} }));
    // Warm-up flow: connection, staging and the ssh_env probe are not part of the per-flow figure.
    await executor.execute(flowList.slice(0, 1), config);
    const started = process.hrtime.bigint();
    const results = await executor.execute(flowList, config);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    await executor.close();
    if (results.some((r) => !r.success || (r.state as { ok?: boolean }).ok !== (remote.env_vars !== undefined))) throw new Error(`a flow failed: ${JSON.stringify(results.find((r) => !r.success))}`);
    return { perFlow: ms / flows };
  };
  const include = ['TEA_BENCH_A', 'TEA_BENCH_B', 'TEA_BENCH_C'];
  const modes: Array<[string, Record<string, unknown>]> = [
    ['env_vars none', {}],
    ['env_vars export_file (3 vars)', { env_vars: { include, mode: 'export_file' } }],
    ['env_vars ssh_env (3 vars)', { env_vars: { include, mode: 'ssh_env' } }],
  ];
  if (FLOWS > 0) console.log(`${FLOWS} flows on 1 host, 8 slots, median of ${ROUNDS} rounds (ms per flow):`);
  for (const [name, remote] of FLOWS > 0 ? modes : []) {
    const per: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) per.push((await run({ hosts: [fx.hosts[0]!.sshlogin], ...remote }, FLOWS)).perFlow);
    console.log(`  ${name.padEnd(32)} ${median(per).toFixed(2)}`);
  }
  // Handshakes alone: open and close a pool's connection, no flow.
  const handshake = async (remote: Record<string, unknown>) => {
    const parsed = parseParallelConfig({ strategy: 'remote', remote: fx.remoteConfig(remote) }).remote!;
    let ms = 0;
    const pool = new ConnectionPool(resolveHosts(parsed), parsed, silentLogger, (e) => {
      if (e.type === 'host:connected') ms = e.handshake_ms;
    });
    await pool.all()[0]!.connect();
    await pool.close();
    return ms;
  };
  const direct: number[] = [];
  const jumped: number[] = [];
  for (let r = 0; r < 20; r += 1) {
    direct.push(await handshake({ hosts: [fx.hosts[1]!.sshlogin] }));
    jumped.push(await handshake({ hosts: ['bench-via'], ssh_config: sshConfig }));
  }
  console.log(`handshake to ready, median of 20: direct ${median(direct)} ms, via 1 ProxyJump host ${median(jumped)} ms`);
  await fx.stop();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
