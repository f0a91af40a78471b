// Issue 14: the exec line is parsed by the login user's shell, and shells disagree on quoting
// (fish: `\'` inside single quotes; tcsh/csh: `!`, their own syntax). tea sends one fixed
// bootstrap every shell reads the same and everything else on the channel's stdin. Proven
// here against real sshd for each login shell, with a chatty rc file (its output must not
// corrupt the result on stdout), hostile node names and a hostile workdir: the branches run
// and report their own names, and the attacker's marker file is never created.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { quote } from '../../../src/remote/command/quote';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { startLocalHosts, type LoginShell, type LocalHostsFixture } from '../../harness/hosts';
import { SHELLS } from '../../harness/users';
import { capture, flow } from '../remote/helpers';

jest.setTimeout(180_000);

const id = randomBytes(4).toString('hex');
const marker = `/tmp/tea-shell-marker-${id}`;
const NAMES = ['a\\b', "x'y", `$(touch ${marker})`, `\`touch ${marker}\``, 'new\nline', 'bang !! !1 $HOME', "w\\'z"];

function workflow(): string {
  return JSON.stringify({
    name: 'login shells',
    nodes: [
      { name: 'start' },
      ...NAMES.map((name) => ({ name, run: `return { ran: ${JSON.stringify(name)}, shell: process.env.SHELL };` })),
      { name: 'join' },
    ],
    edges: [{ from: 'start', to: NAMES, type: 'parallel', fan_in: 'join' }, ...NAMES.map((name) => ({ from: name, to: 'join' }))],
  });
}

const shells = Object.keys(SHELLS) as LoginShell[];

describe.each(shells)('login shell %s, chatty rc file, hostile names and workdir', (shell) => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 1, loginShell: shell, rcOutput: `Welcome to ${shell}! @@tea-result- 12\n` });
  });
  afterAll(async () => {
    await fx?.stop();
    rmSync(marker, { force: true });
  });

  it('runs every branch and returns its result; nothing of the names or paths is run', async () => {
    const workdir = `${fx.remoteConfig().workdir as string}/w \\' x'y $(touch ${marker}) !!`;
    const captured = capture(workflow());
    const executor = new RemoteExecutor(captured.context);
    let results;
    try {
      const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ workdir }) });
      results = await executor.execute(NAMES.map((name) => flow(name)), config);
    } finally {
      await executor.close();
    }
    expect(results.map((r) => [r.branch, r.success, r.state?.ran ?? r.error])).toEqual(NAMES.map((name) => [name, true, name]));
    // The branch's SHELL is the login shell sshd used: the bootstrap really went through it.
    expect(results[0]!.state!.shell).toBe(fx.loginShell);
    expect(captured.logs).toContainEqual(expect.stringContaining(`preflight ok: `));
    expect(captured.logs.find((l) => l.includes('preflight ok'))).toContain(`login shell ${fx.loginShell} runs the bootstrap`);
    expect(existsSync(marker)).toBe(false);
    // cleanup: the run directory is gone, the cache stays.
    expect((await fx.exec(0, `ls -A ${quote(workdir)}`)).stdout).toBe('.cache\n');
  });
});
