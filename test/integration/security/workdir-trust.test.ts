import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { runShell } from '../../harness/fixture-util';
import { ensureAttacker } from '../../harness/users';
import { flow, runFlows } from './helpers';

/**
 * Issue 14's workdir attacks, made by a second local user (tea-attacker) against the
 * hosts' login user: a planted basefile in a workdir or .cache the attacker owns or can
 * write, a workdir that is the attacker's symlink, and one swapped between runs. The
 * trojan touches a marker file: it must never exist. The run fails with the message
 * naming the path, its owner and mode, and the fix; nothing is written there.
 */
jest.setTimeout(180_000);

const JS_ARTIFACT = join(__dirname, '..', '..', '..', 'dist', 'tea');
const id = randomBytes(4).toString('hex');
const marker = `/tmp/tea-trojan-ran-${id}`;
const sha16 = createHash('sha256').update(readFileSync(JS_ARTIFACT)).digest('hex').slice(0, 16);
const size = statSync(JS_ARTIFACT).size;
const made: string[] = [];

let fx: HostsFixture;
let attacker: string;
beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('these tests create a second local user: run them as root (CI does)');
  attacker = ensureAttacker().name;
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
  for (const path of made) rmSync(path, { recursive: true, force: true });
  rmSync(marker, { force: true });
});

/** Runs a shell command as the attacker. */
async function asAttacker(command: string): Promise<void> {
  const result = await runShell('runuser', ['-u', attacker, '--', '/bin/sh', '-c', command], '/');
  if (result.code !== 0) throw new Error(`as ${attacker}: ${command}: ${result.stderr}`);
}

/** The attacker's trojan under the basefile's own cache name, padded to the real size. */
function plantCommand(dir: string): string {
  return (
    `mkdir -p ${dir}/.cache && chmod 777 ${dir} ${dir}/.cache && ` +
    `{ printf '#!/bin/sh\\ntouch ${marker}\\nexec node "$0.real" "$@"\\n'; head -c ${size - 64} /dev/zero | tr '\\0' ' '; } > ${dir}/.cache/tea-${sha16} && ` +
    `truncate -s ${size} ${dir}/.cache/tea-${sha16} && chmod 777 ${dir}/.cache/tea-${sha16}`
  );
}

async function expectRefused(workdir: string, ...fragments: string[]): Promise<void> {
  const { results } = await runFlows(fx, [flow('work', { n: 1 }), flow('work', { n: 2 })], { workdir });
  for (const r of results) {
    expect(r).toMatchObject({ success: false });
    expect(r.error).toContain(`workdir ${workdir} is not safe for`);
    for (const f of fragments) expect(r.error).toContain(f);
  }
  expect(existsSync(marker)).toBe(false);
}

describe('workdir trust against a second local user (real sshd)', () => {
  it('refuses a world-writable workdir with a planted basefile the attacker owns: nothing runs, nothing is written there', async () => {
    const workdir = `/tmp/tea-planted-${id}`;
    made.push(workdir);
    await asAttacker(plantCommand(workdir));
    const before = readdirSync(workdir).sort();
    await expectRefused(workdir, `${workdir} is owned by ${attacker}`, 'mode drwxrwxrwx', 'another user may have put it there');
    expect(readdirSync(workdir).sort()).toEqual(before); // no probe directory, no run directory
    expect(readdirSync(join(workdir, '.cache'))).toEqual([`tea-${sha16}`]);
  });

  it('refuses a workdir that is the attacker\'s symlink, and a workdir inside a directory the attacker owns', async () => {
    const target = `/tmp/tea-target-${id}`;
    const link = `/tmp/tea-link-${id}`;
    made.push(target, link);
    await asAttacker(`${plantCommand(target)} && ln -s ${target} ${link}`);
    await expectRefused(link, `${link} is a symbolic link (owned by ${attacker}`);
    // The victim's own 0700 directory below the attacker's: the attacker can rename it away and put theirs.
    await expectRefused(`${target}/jobs`, `${target} is owned by ${attacker}`);
  });

  it('refuses a .cache that is a symlink in a workdir the login user owns but left group-writable', async () => {
    const workdir = `/tmp/tea-groupw-${id}`;
    const theirs = `/tmp/tea-theirs-${id}`;
    made.push(workdir, theirs);
    await fx.exec(0, `mkdir -m 775 ${workdir}`);
    await asAttacker(plantCommand(theirs));
    // As root: someone in the login user's group, which may write there.
    await runShell('ln', ['-s', `${theirs}/.cache`, `${workdir}/.cache`]);
    await expectRefused(workdir, `${workdir} is writable by group or others (mode drwxrwxr-x`, `chmod go-w ${workdir}`, `${workdir}/.cache is a symbolic link`);
  });

  it('a workdir that was fine in one run and swapped for the attacker\'s symlink before the next is refused', async () => {
    const workdir = `/tmp/tea-swap-${id}`;
    const theirs = `/tmp/tea-swap-theirs-${id}`;
    made.push(workdir, theirs);
    const first = await runFlows(fx, [flow('work', { n: 1 })], { workdir });
    expect(first.results[0]!.success).toBe(true);
    expect(statSync(workdir).mode & 0o777).toBe(0o700);
    // /tmp is sticky: only root (a tmp cleaner, a reboot) removes it; then the attacker is first.
    rmSync(workdir, { recursive: true, force: true });
    await asAttacker(`${plantCommand(theirs)} && ln -s ${theirs} ${workdir}`);
    await expectRefused(workdir, `${workdir} is a symbolic link (owned by ${attacker}`);
  });

  it('the default workdir is .cache/tea-remote under the login user\'s home, created 0700', async () => {
    const { results } = await runFlows(fx, [flow('work', { n: 1 }), flow('work', { n: 2 })], { workdir: undefined });
    expect(results.map((r) => r.success)).toEqual([true, true]);
    const home = (await fx.exec(0, 'cd && pwd -P')).stdout.trim();
    const modes = await fx.exec(0, `stat -c '%a %U' ${home}/.cache/tea-remote ${home}/.cache/tea-remote/.cache`);
    expect(modes.stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['700', '700']);
    expect(existsSync(marker)).toBe(false);
  });
});
