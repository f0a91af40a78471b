import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { TeaError } from '../../../src/errors';
import { detectGnuParallel } from '../../../src/plan/detect';
import { RemoteStrategyExecutor } from '../../../src/executors/remote';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { capture } from '../remote/helpers';
import { scratch } from '../security/helpers';
import { TRICKY_YAML } from './helpers';

/**
 * Issue 14: the GNU Parallel path (gnu_parallel: run) under the ssh2 path's host-key policy
 * (a changed or revoked key refused in every mode, keys pinned for the run) and its env_vars
 * refused rather than dropped. A refused host is never logged in to (sshd's log counts).
 */
jest.setTimeout(600_000);

let fx: LocalHostsFixture;
const dir = scratch();
beforeAll(async () => {
  const found = await detectGnuParallel();
  if (!found.found) throw new Error(`GNU Parallel is required for test/integration/plan: ${found.reason} (apt-get install parallel rsync)`);
  fx = await startLocalHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

const flow = (n: number) => ({ entryPoint: 'plain', exitPoint: 'join', state: { n } });
const name = () => `[127.0.0.1]:${fx.hosts[0]!.port}`;
const gnu = (extra: Record<string, unknown>) =>
  parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ gnu_parallel: 'run', workdir: `${fx.remoteConfig().workdir as string}/gp`, ...extra }) });

describe('GNU Parallel path: host keys and env_vars', () => {
  it('"no" refuses a host whose key differs from known_hosts, before GNU Parallel logs in', async () => {
    const knownHosts = join(dir, 'wrong');
    // Another host's key under this host's name.
    writeFileSync(knownHosts, `${name()} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
    const logins = fx.countConnections(0);
    const captured = capture(TRICKY_YAML);
    const executor = new RemoteStrategyExecutor(captured.context);
    try {
      const results = await executor.execute([flow(1), flow(2)], gnu({ known_hosts: knownHosts, strict_host_key_checking: 'no' }));
      for (const r of results) {
        expect(r).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED' });
        expect(r.error).toContain(`HOST KEY CHANGED for ${name()}`);
      }
    } finally {
      await executor.close();
    }
    expect(fx.countConnections(0)).toBe(logins);
  });

  it.each(['no', 'accept-new', 'yes'])('"%s": a key that changes between fan-outs of one run is refused (pinned at the first)', async (mode) => {
    const knownHosts = join(dir, `pinned-${mode}`);
    if (mode === 'yes') writeFileSync(knownHosts, `${name()} ${fx.hosts[0]!.hostPublicKey}\n`);
    const captured = capture(TRICKY_YAML);
    const executor = new RemoteStrategyExecutor(captured.context);
    try {
      const config = gnu({ known_hosts: knownHosts, strict_host_key_checking: mode });
      const first = await executor.execute([flow(1)], config);
      expect(first[0]).toMatchObject({ success: true, state: { who: 'plain' } });
      await fx.restart(0, { newHostKey: true });
      const logins = fx.countConnections(0);
      const second = await executor.execute([flow(2)], config);
      expect(second[0]).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED' });
      expect(second[0]!.error).toMatch(/HOST KEY CHANGED/);
      expect(fx.countConnections(0)).toBe(logins);
    } finally {
      await executor.close();
    }
  });

  it('refuses to run with env_vars to transfer, naming them, instead of dropping them', async () => {
    process.env.TEA_GP_SECRET = 'not-on-any-command-line';
    const logins = fx.countConnections(0);
    const captured = capture(TRICKY_YAML);
    const executor = new RemoteStrategyExecutor(captured.context);
    let thrown: unknown;
    try {
      await executor.execute([flow(1)], gnu({ env_vars: { include: ['TEA_GP_SECRET'] } }));
    } catch (error) {
      thrown = error;
    } finally {
      await executor.close();
      delete process.env.TEA_GP_SECRET;
    }
    expect(thrown).toBeInstanceOf(TeaError);
    expect((thrown as TeaError).code).toBe('E_CONFIG_INVALID');
    expect((thrown as TeaError).message).toBe(
      'settings.parallel.remote.env_vars: gnu_parallel: run does not transfer environment variables (TEA_GP_SECRET); set gnu_parallel to off (the ssh2 path transfers them) or env_vars.mode to none',
    );
    expect(fx.countConnections(0)).toBe(logins);
  });
});
