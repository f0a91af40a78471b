import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { quote } from '../../../src/remote/command/quote';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { installTea, runTea } from '../cli/tea';

jest.setTimeout(180_000);

let fx: HostsFixture;
const { tea, dir } = installTea();
const id = randomBytes(4).toString('hex');
/** Created if anything typed into the workflow or config is ever run by a shell. */
const canary = `/tmp/tea-hostile-canary-${id}`;
const evil = `$(touch ${canary}) \`touch ${canary}\`; touch ${canary}`;
/** The same for file names (no "/"): the canary lands in $HOME of whatever shell runs it. */
const homeCanary = `tea-hostile-canary-${id}`;
const evilName = `$(cd;touch ${homeCanary}) \`cd;touch ${homeCanary}\`; cd; touch ${homeCanary}`;

beforeAll(async () => {
  fx = await getHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

/** A local directory whose name has spaces, quotes, $(), backticks, ; and (unless told) a newline. */
function hostileDir(newline = true): string {
  const path = join(dir, `wf dir 'q' "dq" ${evilName}${newline ? '\nline2' : ''}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** A workflow (JSON is YAML) whose branch and fan-in node names are all hostile. */
function workflow(names: string[], fanIn: string, remote: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      name: `hostile ${evil}`,
      settings: { parallel: { strategy: 'remote', retry: { max_retries: 0 }, remote } },
      ...extra,
      nodes: [
        { name: 'start' },
        // Each branch reports its own name from its body: the right node ran on the host.
        ...names.map((name) => ({ name, run: `return { ran: ${JSON.stringify(name)}, cwd: process.cwd() };` })),
        { name: fanIn, run: 'return { got: parallel_results.map((r) => [r.branch, r.success, r.state && r.state.ran]) };' },
      ],
      edges: [
        { from: 'start', to: names, type: 'parallel', fan_in: fanIn },
        ...names.map((name) => ({ from: name, to: fanIn })),
        { from: fanIn, to: '__end__' },
      ],
    },
    null,
    2,
  );
}

const NAMES = [
  'with space',
  "it's",
  '"double"',
  evil,
  evilName,
  '-v',
  '--help',
  'multi\nline',
  'back\\slash & | < > * ? ~',
  'ünï 名前',
];

describe('hostile input end to end: tea run (CLI) -> real sshd', () => {
  it('runs branches with hostile names from a hostile YAML path, basefile and workdir, quoting everything', async () => {
    const local = hostileDir();
    // Config paths may not hold a newline (see the last test); the YAML path given to the CLI may.
    const basefile = join(hostileDir(false), `tea ${evilName}`);
    copyFileSync(tea, basefile);
    const parent = fx.remoteConfig().workdir as string;
    const workdir = `${parent}/w d 'q' "dq" ${evil} & | < > * ~`;
    const fanIn = `join ${evil} 'q'`;
    const wf = join(local, `wf ${evilName}.yaml`);
    writeFileSync(wf, workflow(NAMES, fanIn, fx.remoteConfig({ workdir, basefile })));
    const out = join(local, 'out.json');
    const logins = fx.hosts.map((_, i) => fx.countConnections(i));

    const run = await runTea(tea, ['run', wf, '--output', out]);
    expect(run.stderr).not.toMatch(/error|warn/i);
    expect(run.code).toBe(0);
    const state = JSON.parse(readFileSync(out, 'utf8'));
    expect(state.got).toEqual(NAMES.map((n) => [n, true, n]));
    expect(fx.hosts.map((_, i) => fx.countConnections(i) - logins[i]!)).toEqual([1, 1]);

    // Nothing ran as shell, here or on the hosts (same machine for the local backend; checked there too).
    expect([existsSync(canary), existsSync(join(homedir(), homeCanary))]).toEqual([false, false]);
    for (let i = 0; i < fx.hosts.length; i += 1) {
      expect((await fx.exec(i, `test -e ${canary} || test -e ~/${homeCanary}; echo $?`)).stdout.trim()).toBe('1');
    }
    // The hostile workdir exists, created 0700, holding only the basefile cache (cleanup on):
    // the basefile and the V8 code cache its runs wrote beside it (src/util/code-cache.ts).
    // (The "/" in the name makes nested directories, as any path would.)
    const w = quote(workdir);
    const listing = await fx.exec(0, `stat -c '%a' ${w} ${w}/.cache && ls -A ${w} && cd ${w}/.cache && stat -c '%a %n' tea-*`);
    expect(listing.stdout).toMatch(/^700\n700\n\.cache\n700 tea-[0-9a-f]{16}\n600 tea-[0-9a-f]{16}\.[0-9a-f]{12}-v[0-9.]+-[a-z0-9]+\.v8cache\n$/);
    await fx.exec(0, `rm -rf ${parent}`);
  });

  it('refuses an interrupt inside a remote branch before any connection, naming the node', async () => {
    const local = hostileDir();
    const wf = join(local, 'interrupt.yaml');
    writeFileSync(wf, workflow(['review', 'other'], 'join', fx.remoteConfig(), { interrupt_before: ['review'] }));
    const logs = fx.hosts.map((_, i) => fx.readLog(i).length);
    const run = await runTea(tea, ['run', wf]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'Error: interrupt_before[0]: interrupt before node "review" is inside remote branch "review" (edges[0]), which runs on an SSH host and cannot pause for input: ' +
        'put the interrupt outside the branch (on the fan-out or fan-in node) or give edges[0] another parallel_strategy\n',
    );
    fx.hosts.forEach((_, i) => expect(fx.readLog(i).slice(logs[i])).not.toContain('Connection from'));
  });

  it.each(['workdir', 'basefile'])('refuses a %s with a newline before any connection, naming the path', async (key) => {
    const wf = join(hostileDir(), `newline-${key}.yaml`);
    writeFileSync(wf, workflow(['a'], 'j', fx.remoteConfig({ [key]: '/tmp/a\nb' })));
    const logs = fx.hosts.map((_, i) => fx.readLog(i).length);
    const run = await runTea(tea, ['run', wf]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`Error: settings.parallel.remote.${key}: must not contain NUL or newline characters\n`);
    fx.hosts.forEach((_, i) => expect(fx.readLog(i).slice(logs[i])).not.toContain('Connection from'));
  });
});
