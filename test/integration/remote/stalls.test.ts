/**
 * Every wait on an SSH server has a bound even when the server keeps answering
 * keepalives but never answers one request (docs/decisions.md, "Every wait and what
 * bounds it"). A server that stops answering altogether is the keepalive's case
 * (lifecycle.test.ts); these are the cases keepalives cannot see. The misbehaving
 * server is the embedded ssh2 host with a `stall` mode: OpenSSH cannot be made to
 * ignore one request while answering the rest. The flow signals here never abort on
 * their own (no timeout_seconds): only tea's own deadlines can end these waits.
 */
import { remoteConfigSchema } from '../../../src/config/remote';
import { TeaError } from '../../../src/errors';
import { ignoreEvents } from '../../../src/events';
import { silentLogger } from '../../../src/log';
import { ConnectionPool } from '../../../src/remote/ssh/pool';
import { resolveHosts } from '../../../src/remote/trust/hosts';
import { EmbeddedSshCluster } from '../../harness/embedded-sshd';
import { startLocalHosts } from '../../harness/hosts';

jest.setTimeout(60_000);

type Stall = 'session' | 'exec' | 'close' | 'window';
const clusters: EmbeddedSshCluster[] = [];
let pool: ConnectionPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
  await Promise.all(clusters.splice(0).map((c) => c.stop({ rm: true })));
});

async function stalledConnection(stall: Stall, overrides: Record<string, unknown> = {}) {
  const cluster = await EmbeddedSshCluster.start({ count: 1, shell: '/bin/sh', stall });
  clusters.push(cluster);
  const d = cluster.describe();
  const remote = remoteConfigSchema.parse({
    hosts: [d.hosts[0]!.sshlogin],
    identity_file: d.clientKeyPath,
    known_hosts: d.knownHostsPath,
    strict_host_key_checking: 'yes',
    keepalive_interval: 1,
    channel_wait: 2,
    ...overrides,
  });
  const [spec] = resolveHosts(remote);
  pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
  const connection = pool.get(spec!.id);
  await connection.connect();
  return connection;
}

/** Settles with the error (or the value), and how long it took. */
async function timed<T>(work: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  return { ms: Date.now() - started, error };
}

describe('SSH waits that keepalives cannot bound', () => {
  it.each([
    ['session', 'a session channel that is neither confirmed nor refused'],
    ['exec', 'an exec request that is never answered'],
  ] as const)('%s: %s fails E_CHANNEL_UNAVAILABLE after channel_wait', async (stall, _what) => {
    const connection = await stalledConnection(stall);
    const { ms, error } = await timed(connection.exec('true', new AbortController().signal));
    expect(error).toBeInstanceOf(TeaError);
    expect((error as TeaError).code).toBe('E_CHANNEL_UNAVAILABLE');
    expect((error as TeaError).host).toBe(connection.spec.id);
    expect((error as TeaError).message).toMatch(/channel_wait/);
    // channel_wait is 2 s; keepalives (every 1 s) kept the connection alive the whole time.
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(15_000);
    // The connection itself is still fine: the host answered keepalives throughout.
    expect((await connection.connect()).closed).toBe(false);
  });

  it('close: an aborted exec whose channel the server never closes still ends, and frees its slot', async () => {
    const connection = await stalledConnection('close', { max_channels_per_host: 1 });
    const abort = new AbortController();
    const running = connection.exec('sleep 30', abort.signal);
    setTimeout(() => abort.abort(new TeaError('E_TIMEOUT', 'test timeout')), 500);
    const { ms, error } = await timed(running);
    expect((error as TeaError).code).toBe('E_TIMEOUT');
    expect(ms).toBeLessThan(15_000);
    // The one channel slot is free again: the next exec gets it. Its channel is never closed
    // either, so its end comes from the exit status (then quiet output) alone.
    const second = await timed(connection.exec('echo hi; exit 4', new AbortController().signal, { stdoutLimit: 100 }).then((r) => Promise.reject(r)));
    expect(second.error).toMatchObject({ code: 4, stdout: Buffer.from('hi\n') });
    expect(second.ms).toBeLessThan(15_000);
  });
});

describe('a command that stops reading its input', () => {
  it('window: input the server never takes (its window stays shut) fails E_TRANSFER_FAILED after sftp_timeout + 1 s per MiB', async () => {
    const connection = await stalledConnection('window', { sftp_timeout: 2 });
    const input = Buffer.alloc(8 * 2 ** 20, 1); // more than ssh2's window and the unread stream's buffer (~4 MiB)
    const { ms, error } = await timed(connection.exec('cat > /dev/null', new AbortController().signal, { stdin: input, keepStdinOpen: true }));
    expect(error).toBeInstanceOf(TeaError);
    expect((error as TeaError).code).toBe('E_TRANSFER_FAILED');
    expect((error as TeaError).host).toBe(connection.spec.id);
    expect((error as TeaError).message).toMatch(/input \(8388608 bytes\) was not taken within 10s.*sftp_timeout/);
    expect(ms).toBeGreaterThanOrEqual(9900);
    expect(ms).toBeLessThan(20_000);
  });
});

describe('real sshd (OpenSSH)', () => {
  // sshd sends the exit status when it reaps the command, and keeps the channel open until
  // nothing holds the command's output any more: `sleep 120 &` held it (and the exec) 120 s.
  it('an exec whose command exited while a process it started holds its output ends soon after the exit status', async () => {
    const fx = await startLocalHosts({ count: 1 });
    const pidFile = `/tmp/tea-it-held-${process.pid}.pid`;
    try {
      const remote = remoteConfigSchema.parse(fx.remoteConfig({ hosts: [fx.hosts[0]!.sshlogin] }));
      const [spec] = resolveHosts(remote);
      pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
      const connection = pool.get(spec!.id);
      await connection.connect();
      const never = new AbortController().signal;
      const held = await timed(connection.exec(`sleep 120 & echo $! > ${pidFile}; echo started; exit 3`, never, { stdoutLimit: 100 }).then((r) => Promise.reject(r)));
      expect(held.error).toMatchObject({ code: 3, signal: null });
      expect(String((held.error as { stdout: Buffer }).stdout)).toMatch(/started\n$/);
      expect(held.ms).toBeLessThan(30_000);
      // Output that keeps coming after the exit status is still waited for and kept.
      const flowing = await connection.exec('(sleep 1; echo late1; sleep 1; echo late2; sleep 1; echo late3) & echo early; exit 0', never, { stdoutLimit: 100 });
      expect(String(flowing.stdout)).toBe('early\nlate1\nlate2\nlate3\n');
      expect((await connection.exec(`kill $(cat ${pidFile}) && rm -f ${pidFile}`, AbortSignal.timeout(20_000))).code).toBe(0);
    } finally {
      await pool?.close();
      pool = undefined;
      await fx.stop();
    }
  });
});
