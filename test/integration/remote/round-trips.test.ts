// Issue 21: round trips, counted against real sshd (not timed), so a regression that adds a
// request fails CI. A branch costs ONE exec (channel open + exec request + its data: 3 round
// trips) and no SFTP request. A run's fixed part once the workdir exists: the handshake, ONE
// probe exec that also makes this run's directory and writes the workflow (with the SFTP
// channel opening beside it), the uploads only when the basefile is not cached, and the
// cleanup exec. Counted twice: by request
// kind on the HostConnection, and as client flights through the bench's latency proxy (each
// flight after the first waited for an answer). The figures at 0/20/80 ms RTT are in
// docs/operations.md ("Round trips").
import { readFileSync, writeFileSync } from 'node:fs';
import { LatencyProxy } from '../../../bench/lib/latency-proxy';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { HostConnection } from '../../../src/remote/ssh/connection';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { capture, flow } from './helpers';

jest.setTimeout(180_000);

let fx: HostsFixture;
let proxy: LatencyProxy;
const connections = new Set<HostConnection>();
const realConnect = HostConnection.prototype.connect;

beforeAll(async () => {
  fx = await getHosts({ count: 1 });
  // A small RTT: each answer arrives as its own flight, so the counts are the protocol's, not the scheduler's.
  const port = Number(fx.hosts[0]!.sshlogin.split(':').pop());
  proxy = await LatencyProxy.start({ targetPort: port, rttMs: 10 });
  HostConnection.prototype.connect = function (this: HostConnection, ...args: Parameters<typeof realConnect>) {
    connections.add(this);
    return realConnect.apply(this, args);
  };
});
afterAll(async () => {
  HostConnection.prototype.connect = realConnect;
  await proxy?.close();
  await fx?.stop();
});

/** The fixture's host, reached through the proxy (its known_hosts entry moved to the proxy's port). */
function viaProxy(): Record<string, unknown> {
  const host = fx.hosts[0]!;
  const port = host.sshlogin.split(':').pop()!;
  const knownHosts = `${fx.knownHostsPath}-proxy-${proxy.port}`;
  const lines = readFileSync(fx.knownHostsPath, 'utf8').split('\n').filter((l) => l.startsWith(`[127.0.0.1]:${port} `));
  writeFileSync(knownHosts, lines.map((l) => l.replace(`:${port} `, `:${proxy.port} `)).join('\n') + '\n');
  return fx.remoteConfig({ hosts: [host.sshlogin.replace(`:${port}`, `:${proxy.port}`)], known_hosts: knownHosts, max_channels_per_host: 1 });
}

const requests = () => {
  const sum = { exec: 0, sftpChannel: 0, sftp: 0 };
  for (const c of connections) for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += c.requests[k];
  return sum;
};

/** One run of `n` branches, one after another; its requests and client flights, the cleanup at close included. */
async function run(n: number) {
  connections.clear();
  proxy.reset();
  const executor = new RemoteExecutor(capture().context);
  try {
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: viaProxy() });
    const results = await executor.execute(Array.from({ length: n }, (_, i) => flow('work', { n: i + 1 })), config);
    expect(results.map((r) => r.state?.doubled)).toEqual(Array.from({ length: n }, (_, i) => 2 * (i + 1)));
  } finally {
    await executor.close();
  }
  return { requests: requests(), flights: proxy.counts().clientFlights, connections: proxy.counts().connections };
}

it('a branch is one exec and no SFTP request; a run with the basefile cached is 1 probe exec + 1 cleanup exec beside them, within 15 round trips', async () => {
  // First run on the host: the workdir does not exist yet, so the staging makes it after the
  // preflight (mkdir, or lstat of what exists, per component: /tmp and the workdir here; .cache,
  // the run directory, realpaths), the basefile (and its code cache, if this machine has one)
  // go up over SFTP, and the workflow is written.
  const cold = await run(1);
  expect(cold.connections).toBe(1);
  // probe + the basefile's check-and-rename + the branch + cleanup; the code cache, when this
  // machine has one (dist/tea wrote it on a local run), is one more upload: 1 SFTP write + 1 exec.
  // The workflow and the run marker (issue 14, run-marker.ts) are two SFTP writes sent together.
  const codeCache = cold.requests.exec - 4;
  expect([0, 1]).toContain(codeCache);
  expect(cold.requests).toEqual({ exec: 4 + codeCache, sftpChannel: 1, sftp: 11 + codeCache });

  // Later runs: the probe verified the cached basefile (sha256) and staged in its own exec.
  const one = await run(1);
  const seven = await run(7);
  expect(one.requests).toEqual({ exec: 3, sftpChannel: 1, sftp: 0 });
  // Per branch: exactly one exec more, no SFTP.
  expect(seven.requests).toEqual({ exec: 9, sftpChannel: 1, sftp: 0 });

  // The same in client flights through the proxy. A flight is a wait for an answer, except a
  // message that needs none (a window adjust, the close that acknowledges the server's), so
  // flights bound round trips from above. Per branch: 3 (channel open, exec request, stdin ->
  // result), at most one stray flight over the 6 branches. Fixed part: the one-branch run minus
  // its branch's 3; it also counts the SFTP open's messages (subsystem request, version), which
  // travel beside the probe's and add flights but no wait; the TCP handshake is not seen.
  const perBranch = (seven.flights - one.flights) / 6;
  const fixed = one.flights - 3;
  console.log(`client flights through the proxy: per branch ${perBranch.toFixed(2)}, fixed part ${fixed} (+1 TCP); first run ${cold.flights - 3} (+1 TCP); requests: first run ${JSON.stringify(cold.requests)}, cached ${JSON.stringify(one.requests)}`);
  expect(seven.flights - one.flights).toBeGreaterThanOrEqual(6 * 3);
  expect(seven.flights - one.flights).toBeLessThanOrEqual(6 * 3 + 1);
  expect(fixed).toBeLessThanOrEqual(15);
});
