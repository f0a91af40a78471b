import { existsSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseParallelConfig } from '../../../src/config/parallel';
import { detectGnuParallel } from '../../../src/plan/detect';
import { RemoteStrategyExecutor } from '../../../src/executors/remote';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { capture } from '../remote/helpers';
import { TRICKY_YAML } from './helpers';

/**
 * Issue 14: the GNU Parallel path (gnu_parallel: run) runs the ssh2 path's workdir trust check
 * before GNU Parallel makes or runs anything in an explicit shared workdir. The attacker (a
 * second local user) owns a world-writable workdir in /tmp, or a symlink in its place: the host
 * is refused with the message naming the path, owner, mode and fix; GNU Parallel never logs in,
 * nothing is written there, and the attacker's marker is never created.
 */
jest.setTimeout(300_000);

let fx: LocalHostsFixture;
const id = randomBytes(4).toString('hex');
const marker = `/tmp/tea-gp-trojan-ran-${id}`;
const made: string[] = [];
beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('these tests create a second local user: run them as root (CI does)');
  const found = await detectGnuParallel();
  if (!found.found) throw new Error(`GNU Parallel is required for test/integration/plan: ${found.reason} (apt-get install parallel rsync)`);
  fx = await startLocalHosts({ count: 1, attacker: true });
});
afterAll(async () => {
  await fx?.stop();
  for (const path of made) rmSync(path, { recursive: true, force: true });
  rmSync(marker, { force: true });
});

const flow = (n: number) => ({ entryPoint: 'plain', exitPoint: 'join', state: { n } });

async function runGnu(workdir: string) {
  const captured = capture(TRICKY_YAML);
  const executor = new RemoteStrategyExecutor(captured.context);
  try {
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ gnu_parallel: 'run', workdir }) });
    return { results: await executor.execute([flow(1), flow(2)], config), logs: captured.logs };
  } finally {
    await executor.close();
  }
}

/** The login user's sshd logins: the trust check's one ssh2 login is all; GNU Parallel's ssh would add more. */
async function expectRefused(workdir: string, ...fragments: string[]): Promise<void> {
  const logins = fx.countConnections(0);
  const { results, logs } = await runGnu(workdir);
  for (const r of results) {
    expect(r).toMatchObject({ success: false, error_type: 'E_HOST_UNUSABLE' });
    expect(r.error).toContain(`workdir ${workdir} is not safe for`);
    for (const f of fragments) expect(r.error).toContain(f);
  }
  expect(logs.some((l) => l.includes('(gnu_parallel: run)') && l.includes('excluded from this run'))).toBe(true);
  expect(fx.countConnections(0) - logins).toBe(1);
  expect(existsSync(marker)).toBe(false);
}

describe('GNU Parallel path: the workdir trust check', () => {
  it('refuses a world-writable workdir the attacker owns: GNU Parallel never logs in, nothing is written there', async () => {
    const workdir = `/tmp/tea-gp-planted-${id}`;
    made.push(workdir);
    const attacker = fx.attacker!;
    const planted = await attacker.exec(`mkdir -p ${workdir} && chmod 777 ${workdir} && printf '#!/bin/sh\\ntouch ${marker}\\n' > ${workdir}/tea && chmod 777 ${workdir}/tea`);
    expect(planted.code).toBe(0);
    await expectRefused(workdir, `${workdir} is owned by ${attacker.user}`, 'mode drwxrwxrwx', 'another user may have put it there');
    expect(readdirSync(workdir)).toEqual(['tea']); // no gp-* directory, nothing of ours
  });

  it('refuses a workdir that is the attacker\'s symlink', async () => {
    const target = `/tmp/tea-gp-target-${id}`;
    const link = `/tmp/tea-gp-link-${id}`;
    made.push(target, link);
    const attacker = fx.attacker!;
    expect((await attacker.exec(`mkdir -p ${target} && chmod 777 ${target} && ln -s ${target} ${link}`)).code).toBe(0);
    await expectRefused(link, `${link} is a symbolic link (owned by ${attacker.user}`);
    expect(readdirSync(target)).toEqual([]);
  });

  it('a workdir of the login user\'s own is made 0700 by the check, and GNU Parallel runs there', async () => {
    const workdir = `/tmp/tea-gp-own-${id}`;
    made.push(workdir);
    const { results } = await runGnu(workdir);
    expect(results.map((r) => r.success)).toEqual([true, true]);
    const mode = await fx.exec(0, `stat -c '%a %U' ${workdir}`);
    expect(mode.stdout.trim()).toBe(`700 ${fx.hosts[0]!.user}`);
    expect(existsSync(marker)).toBe(false);
  });
});
