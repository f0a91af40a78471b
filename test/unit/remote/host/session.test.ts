import { remoteConfigSchema } from '../../../../src/config/remote';
import { TeaError } from '../../../../src/errors';
import { silentLogger } from '../../../../src/log';
import { EnvTransfer } from '../../../../src/remote/host/env-transfer';
import { hostSlug } from '../../../../src/remote/host/layout';
import { HostSession } from '../../../../src/remote/host/session';
import type { HostConnection } from '../../../../src/remote/ssh/connection';
import { FAKE_BASEFILE_SIZE, FakeConnection, Gate } from '../fakes/fake-host';

// The preflight's own checks have their tests (and real-sshd suites); here it reports "ok".
jest.mock('../../../../src/remote/host/preflight', () => ({
  ...jest.requireActual('../../../../src/remote/host/preflight'),
  preflight: jest.fn(async (connection: { spec: { id: string } }) => ({
    host: connection.spec.id,
    address: 'h:22',
    status: 'ok',
    reason: 'fake',
    checks: [],
    basefile: { localPath: '/nonexistent/tea', sha256: 'a'.repeat(64), size: 1234, kind: 'js' },
    facts: { os: 'Linux', machine: 'x86_64', node: null, uid: 1000, leftovers: [] },
  })),
}));

/** The fake host's run directory (layout.ts: one per run and host). */
const RUN_DIR = `/home/u/tea/run-r1-${hostSlug('u@h:22')}`;
const remote = remoteConfigSchema.parse({ hosts: ['u@h'], workdir: '/home/u/tea' });
const session = (connection: FakeConnection, env = new EnvTransfer({ mode: 'export_file', values: {}, missing: [], excluded: [] }, silentLogger)) =>
  new HostSession(connection as unknown as HostConnection, {
    remote,
    runId: 'r1',
    catalog: {} as never,
    workflowText: 'nodes: []',
    acceptEnv: [],
    env,
    logger: silentLogger,
    events: () => {},
  });
const abortWith = (message: string) => {
  const controller = new AbortController();
  return { signal: controller.signal, abort: () => controller.abort(new TeaError('E_TIMEOUT', message)) };
};

describe('HostSession: once-per-host work is the session\'s, not the first flow\'s', () => {
  it('a flow whose signal aborts stops waiting; the staging goes on and serves the other flows, once', async () => {
    expect(FAKE_BASEFILE_SIZE).toBe(1234);
    const connection = new FakeConnection();
    connection.sftpChannel.uploadGate = new Gate();
    const s = session(connection);
    const first = abortWith('first flow timed out');
    const second = abortWith('unused');
    const a = s.stage(first.signal);
    const b = s.stage(second.signal);
    await new Promise((r) => setTimeout(r, 20)); // the upload is in flight
    first.abort();
    await expect(a).rejects.toThrow('first flow timed out');
    connection.sftpChannel.uploadGate.open();
    const staged = await b;
    expect(staged.tea).toBe(`/home/u/tea/.cache/tea-${'a'.repeat(16)}`);
    expect(connection.sftpChannel.files.get(`${RUN_DIR}/workflow.yaml`)?.toString()).toBe('nodes: []');
    expect(connection.sftpChannel.uploads).toBe(1);
    // A later flow gets the same staged run without staging again.
    await expect(s.stage(abortWith('x').signal)).resolves.toEqual(staged);
    expect(connection.sftpChannel.uploads).toBe(1);
    await s.close();
  });

  it('the env probe (ssh_env) runs once per host under the session, whichever flow asked first', async () => {
    const connection = new FakeConnection();
    const gate = new Gate();
    connection.onExec = async (call) => {
      if (call.script.includes('tea-env-missing')) await gate.opened;
      return { code: 0, signal: null, stderrTail: '' };
    };
    const s = session(connection, new EnvTransfer({ mode: 'ssh_env', values: { TOKEN: 'secret' }, missing: [], excluded: [] }, silentLogger));
    const first = abortWith('first flow timed out');
    const a = s.envChecked(first.signal);
    const b = s.envChecked(abortWith('unused').signal);
    await new Promise((r) => setTimeout(r, 10));
    first.abort();
    await expect(a).rejects.toThrow('first flow timed out');
    const probes = connection.execs.filter((e) => e.script.includes('tea-env-missing'));
    expect(probes).toHaveLength(1);
    expect(probes[0]!.signal.aborted).toBe(false); // the probe was not the first flow's to cancel
    expect(probes[0]!.env).toEqual({ TOKEN: '1' }); // placeholders, never the value
    gate.open();
    await expect(b).resolves.toBeUndefined();
    await s.close();
  });

  it('a failed staging is tried again by the next flow', async () => {
    const connection = new FakeConnection();
    let failures = 1;
    connection.onExec = async (call) => {
      // The upload's check (exec-scripts.ts settle): the host's sha256 is not the basefile's.
      if (call.script.includes('sha256sum') && failures-- > 0) return { code: 23, signal: null, stderrTail: `tea: sha256 mismatch after upload: host has ${'b'.repeat(64)}, expected ${'a'.repeat(64)}` };
      return { code: 0, signal: null, stderrTail: '' };
    };
    const s = session(connection);
    await expect(s.stage(abortWith('x').signal)).rejects.toMatchObject({ code: 'E_STAGING_FAILED' });
    await expect(s.stage(abortWith('x').signal)).resolves.toMatchObject({ tea: expect.stringContaining('/.cache/tea-') });
    await s.close();
  });

  it('close() ends what is in flight, removes the run directory, closes the connection and leaves no timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const connection = new FakeConnection();
    const s = session(connection);
    await s.stage(abortWith('x').signal);
    const hanging = new Gate();
    connection.onExec = async (call) => {
      if (call.script.includes('tea-env-missing')) await hanging.opened;
      return { code: 0, signal: null, stderrTail: '' };
    };
    await s.close();
    expect(connection.execs.at(-1)!.script.endsWith(`set -- ${RUN_DIR}; eval 'rm -rf -- "$1"'`)).toBe(true);
    expect(connection.closed).toBe(true);
    await expect(s.stage(abortWith('x').signal)).rejects.toMatchObject({ code: 'E_CANCELLED' });
    expect(timers()).toBe(before);
  });
});
