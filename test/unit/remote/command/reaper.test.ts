// The reaper's search by mark (reaper.ts) against real processes: it ends the processes that
// carry the branch's mark, and a mark that a newline would split into several grep patterns is
// never searched for (before, a flow directory `.../x\n!!` ended every process of the user
// whose environment held `!!/`: other suites' branches, seen as "killed by SIGTERM").
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLOW_MARK_NAME, REAPER_SETUP } from '../../../../src/remote/command/reaper';

const hasProc = spawnSync('sh', ['-c', 'test -r /proc/self/environ']).status === 0;

let base: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tea-reaper-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

/** A long sleep whose environment holds `mark`, as a branch's process would. */
function marked(mark: string): ChildProcess {
  const child = spawn('sleep', ['60'], { env: { ...process.env, [FLOW_MARK_NAME]: mark }, stdio: 'ignore' });
  children.push(child);
  return child;
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && spawnSync('kill', ['-0', String(child.pid)]).status === 0;

/** Runs the wrapper's reaper in `dir` (its mark is "$PWD/"), searching every process. */
function reapIn(dir: string): void {
  const ran = spawnSync('sh', ['-c', `cd -- "$1" && ${REAPER_SETUP} tea_reap`, 'sh', dir], { encoding: 'utf8', timeout: 20_000 });
  expect(ran.status).toBe(0);
}

const describeProc = hasProc ? describe : describe.skip;
describeProc('tea_reap', () => {
  it('ends the processes carrying its mark, and no other', async () => {
    const dir = join(base, 'run', '1-0-a1');
    mkdirSync(dir, { recursive: true });
    const own = marked(`${dir}/`);
    const sibling = marked(`${join(base, 'run', '1-0-a10')}/`);
    await new Promise((r) => setTimeout(r, 100));
    reapIn(dir);
    await new Promise((r) => setTimeout(r, 200));
    expect([alive(own), alive(sibling)]).toEqual([false, true]);
  });

  it('never searches with a mark a newline would split: another process holding its second line lives', async () => {
    const dir = join(base, 'x\n!!');
    mkdirSync(dir);
    const own = marked(`${dir}/`);
    const bystander = marked('/elsewhere/w !!/run-1/0-0-a1/'); // holds "!!/", the mark's second line
    await new Promise((r) => setTimeout(r, 100));
    reapIn(dir);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(bystander)).toBe(true);
    expect(alive(own)).toBe(true); // not searched for: left to the group kill, as on a host without /proc
  });
});
