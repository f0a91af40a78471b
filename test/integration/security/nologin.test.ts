// Issue 14: a host whose login shell cannot run the bootstrap (`/usr/sbin/nologin`, `/bin/false`)
// is excluded by the preflight with a message that names the login shell and the fix, in
// bounded time, with one login and no retry storm, even with retries configured.
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { capture } from '../remote/helpers';
import { flow } from './helpers';

jest.setTimeout(120_000);

describe.each([
  ['nologin', '/usr/sbin/nologin'],
  ['false', '/bin/false'],
] as const)('login shell %s', (shellName, shellPath) => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('these tests create a login user: run them as root (CI does)');
    fx = await startLocalHosts({ count: 1, loginShell: shellName });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('the preflight excludes the host, naming the shell and the fix; no hang, no retry storm', async () => {
    expect(fx.loginShell).toBe(shellPath);
    const logins = fx.countConnections(0);
    const started = Date.now();
    const outcome = capture();
    const executor = new RemoteExecutor(outcome.context);
    let results;
    try {
      const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 3, base_delay: 0.01 }, remote: fx.remoteConfig({ connect_timeout: 10 }) });
      results = await executor.execute([flow('work', { n: 1 }), flow('work', { n: 2 }), flow('work', { n: 3 })], config);
    } finally {
      await executor.close();
    }
    const ms = Date.now() - started;
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.success).toBe(false);
      expect(['E_HOST_UNUSABLE', 'E_NO_HEALTHY_HOST']).toContain(r.error_type);
      expect(r.error).toContain(`the login shell of ${fx.hosts[0]!.user} (${shellPath}) cannot run tea's bootstrap`);
      expect(r.error).toContain(`give ${fx.hosts[0]!.user} a shell such as /bin/sh`);
    }
    // Excluded at once: one login for the preflight (whose SFTP read names the shell), none per flow.
    expect(fx.countConnections(0) - logins).toBe(1);
    expect(outcome.logs.filter((l) => l.includes('excluded from this run'))).toHaveLength(1);
    expect(ms).toBeLessThan(60_000); // generous on a loaded machine; a hang would hit jest's timeout
  });
});
