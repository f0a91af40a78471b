// Issue 14, "nothing at rest after the run, even after a crash": run markers, the next run's
// removal of dead runs' leftovers, `tea hosts check` / `tea hosts clean`, against real sshd
// with the real dist/tea as a child process (kill -9 of the client mid-branch).
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { hostSlug } from '../../../src/remote/host/layout';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { installTea, runTea, writeIn } from '../cli/tea';

jest.setTimeout(240_000);

let fx: LocalHostsFixture;
let tea: string;
let dir: string;
beforeAll(async () => {
  fx = await startLocalHosts({ count: 1 });
  ({ tea, dir } = installTea());
});
/** Every `tea run` child this file started: a failed test must not leave one running. */
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const STALE = 10; // stale_run_seconds: heartbeat every 2 s
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function workflowFile(name: string, workdir: string, branch: string, remote: Record<string, unknown> = {}): string {
  const workflow = {
    name,
    settings: { parallel: { strategy: 'remote', remote: fx.remoteConfig({ workdir, stale_run_seconds: STALE, ...remote }) } },
    nodes: [
      { name: 'start', run: 'return {};' },
      { name: 'work', run: branch },
      { name: 'join', run: 'return { n: parallel_results.length };' },
    ],
    edges: [
      { from: '__start__', to: 'start' },
      { from: 'start', to: ['work'], type: 'parallel', fan_in: 'join' },
      { from: 'work', to: 'join' },
      { from: 'join', to: '__end__' },
    ],
  };
  return writeIn(dir, `${name}.yaml`, YAML.stringify(workflow));
}

const LONG = 'await new Promise((r) => setTimeout(r, 180000)); return { slept: true };';
const QUICK = 'return { quick: true };';

/** A `tea run` child (the real dist/tea); its stderr collected. */
function startRun(file: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  // --verbose: when a wait below fails, the run's own account of where it stands is in the error.
  const child = spawn(process.execPath, [resolve(__dirname, '../../../dist/tea'), 'run', file, '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, stderr: () => stderr, exited };
}

const sh = async (command: string) => (await fx.exec(0, command)).stdout;
const entries = async (workdir: string) => (await sh(`ls -A ${workdir} 2>/dev/null || true`)).split('\n').filter((e) => e && e !== '.cache');
/** Run directories only: a preflight's writability probe (`.tea-probe-<pid>`) comes and goes beside them. */
const runEntries = async (workdir: string) => (await entries(workdir)).filter((e) => e.startsWith('run-'));
/** Processes whose environment carries the branch mark of `runDir` (the reaper's mark): the run's remote processes. */
const processesOf = async (runDir: string) =>
  (await sh(`grep -l -s -F -e 'TEA_FLOW_MARK=${runDir}/' /proc/[0-9]*/environ || true`)).split('\n').filter(Boolean);

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, ms = 60_000, context: () => Promise<string> = async () => ''): Promise<T> {
  const end = Date.now() + ms;
  let value = await probe();
  while (!done(value)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(value)})${await context()}`);
    await sleep(250);
    value = await probe();
  }
  return value;
}

interface JsonLeftover { path: string; kind: string; state: string; removed: boolean; client: string | null; age_seconds: number }
async function hostsJson(sub: 'check' | 'clean', file: string, ...flags: string[]) {
  const run = await runTea(tea, ['hosts', sub, file, '--json', ...flags]);
  const [report] = JSON.parse(run.stdout) as Array<{ status: string; leftovers: JsonLeftover[] | null; checks: Array<{ name: string; level: string; detail: string }> }>;
  return { run, report: report!, leftovers: report!.leftovers ?? [] };
}

it('kill -9 of the client mid-branch: its remote processes end, hosts check lists the leftover, the next run removes it and never a live run\'s', async () => {
  const workdir = `${fx.remoteConfig().workdir}-crash`;
  const slug = hostSlug(fx.hosts[0]!.sshlogin);
  const crashed = startRun(workflowFile('crashed', workdir, LONG));
  const [crashedName] = await until('the first run staged', () => runEntries(workdir), (e) => e.length === 1);
  const crashedDir = `${workdir}/${crashedName}`;
  expect(crashedName).toMatch(new RegExp(`^run-.*-${slug}$`));
  // When a wait fails: the run's own account, and what the host has (its files and the test user's processes).
  const stderrOf = (run: ReturnType<typeof startRun>) => async () =>
    `\n--- stderr of tea run (pid ${run.child.pid}) ---\n${run.stderr()}\n--- ${workdir} ---\n${await sh(`find ${workdir} -path '*/.cache' -prune -o -ls 2>&1 || true`)}` +
    `\n--- processes ---\n${await sh('ps -o pid,ppid,stat,etime,args -u "$(id -u)" 2>&1 || true')}`;
  await until('its branch runs on the host', () => processesOf(crashedDir), (p) => p.length > 0, 60_000, stderrOf(crashed));
  // The marker names the client and the bound its run promised.
  const marker = await sh(`cat ${crashedDir}/.tea-run`);
  expect(marker).toContain(`dead_after=${STALE}\n`);
  expect(marker).toMatch(new RegExp(`client=\\S+ pid ${crashed.child.pid}\\n`));

  // A live run of another client on the same account and workdir, started before the crash
  // (so its own preflight's sweep cannot see the crashed run dead, whatever the machine's pace).
  const live = startRun(workflowFile('live', workdir, LONG));
  const liveName = (await until('the live run staged', () => runEntries(workdir), (e) => e.length === 2, 60_000, stderrOf(live))).find((e) => e !== crashedName)!;
  const liveDir = `${workdir}/${liveName}`;
  await until('the live run\'s branch runs', () => processesOf(liveDir), (p) => p.length > 0, 60_000, stderrOf(live));

  crashed.child.kill('SIGKILL');
  expect(await crashed.exited).toBeNull();
  // sshd sees the dropped connection, the channel closes, the wrapper's watcher ends the branch.
  await until('the crashed run\'s remote processes end', () => processesOf(crashedDir), (p) => p.length === 0, 30_000);
  expect((await entries(workdir)).sort()).toEqual([crashedName, liveName].sort()); // nothing removed its directory

  // The checking client's own bound (partial uploads, directories without a marker) is longer:
  // a run directory is judged by the bound its writer promised.
  const checkFile = workflowFile('check', workdir, QUICK, { stale_run_seconds: 120 });
  const listed = await hostsJson('check', checkFile);
  expect(listed.leftovers.find((l) => l.path === crashedDir)).toEqual(expect.objectContaining({ kind: 'run', removed: false, client: expect.stringContaining(`pid ${crashed.child.pid}`) }));
  expect(listed.leftovers.find((l) => l.path === liveDir)).toEqual(expect.objectContaining({ state: 'live', removed: false, client: expect.stringContaining(`pid ${live.child.pid}`) }));

  // Partial basefile uploads: one not written for an hour (a host hung mid-upload).
  await sh(`cd ${workdir}/.cache && head -c 1000 /dev/zero > tea-0123456789abcdef.tmp-old-1 && touch -d '1 hour ago' tea-0123456789abcdef.tmp-old-1`);

  // Past the crashed run's bound (and the live run's, were it not for its heartbeat).
  await sleep((STALE + 3) * 1000);
  const stale = await hostsJson('check', checkFile);
  const state = (path: string) => stale.leftovers.find((l) => l.path === path)?.state;
  expect([state(crashedDir), state(liveDir)]).toEqual(['dead', 'live']); // live by its heartbeat, not only by its processes
  expect(stale.report.status).toBe('warn');
  expect(stale.report.checks.find((c) => c.name === 'leftovers')!.detail).toContain('tea hosts clean removes them');
  expect(await entries(workdir)).toEqual(expect.arrayContaining([crashedName, liveName])); // check removes nothing

  // The next run removes the dead run's directory and the old partial upload, says so, and nothing else.
  await sh(`head -c 10 /dev/zero > ${workdir}/.cache/tea-0123456789abcdef.tmp-new-2`); // an upload in progress
  const next = await runTea(tea, ['run', checkFile]);
  expect([next.code, next.stderr]).toEqual([0, expect.stringContaining(`removed 2 leftover(s): `)]);
  expect(next.stderr).toContain(crashedDir);
  expect(await entries(workdir)).toEqual([liveName]);
  expect((await sh(`ls -A ${workdir}/.cache`)).split('\n').filter((f) => f.includes('.tmp-'))).toEqual(['tea-0123456789abcdef.tmp-new-2']);
  expect(await processesOf(liveDir)).not.toEqual([]);

  // The live run ends as usual and removes its own directory.
  live.child.kill('SIGINT');
  expect(await live.exited).toBe(130);
  await until('the live run\'s processes end', () => processesOf(liveDir), (p) => p.length === 0, 30_000);
  expect(await entries(workdir)).toEqual([]);
  await sh(`rm -rf ${workdir}`);
});

it('tea hosts clean: --dry-run lists, then it removes dead and kept (cleanup: false) runs, keeps a live one unless --include-live', async () => {
  const workdir = `${fx.remoteConfig().workdir}-clean`;
  const slug = hostSlug(fx.hosts[0]!.sshlogin);
  const kept = await runTea(tea, ['run', workflowFile('kept', workdir, QUICK, { cleanup: false })]);
  expect(kept.code).toBe(0);
  const [keptName] = await entries(workdir);
  const keptDir = `${workdir}/${keptName}`;
  expect(await sh(`cat ${keptDir}/.tea-run`)).toMatch(/\nkeep=1\nended=1\n$/);
  // Another client's run directory with a fresh marker (live), and one of another host sharing this home (NFS).
  const liveDir = `${workdir}/run-other-client-${slug}`;
  const otherHost = `${workdir}/run-other-host-h0123456789`;
  await sh(`mkdir -m 700 ${liveDir} ${otherHost} && printf 'dead_after=600\\nclient=elsewhere pid 1\\n' > ${liveDir}/.tea-run && cp ${liveDir}/.tea-run ${otherHost}/`);
  await sh(`touch -d '1 hour ago' ${otherHost}/.tea-run ${otherHost}`);
  const file = workflowFile('clean', workdir, QUICK);

  const dry = await runTea(tea, ['hosts', 'clean', file, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(`would remove ${keptDir} (run directory, kept`);
  expect(dry.stdout).toContain(`would keep (live) ${liveDir}`);
  expect(dry.stdout).not.toContain(otherHost);
  expect((await entries(workdir)).sort()).toEqual([keptName, 'run-other-client-' + slug, 'run-other-host-h0123456789'].sort());

  const clean = await runTea(tea, ['hosts', 'clean', file]);
  expect(clean.code).toBe(0);
  expect(clean.stdout).toContain(`removed ${keptDir}`);
  expect(clean.stdout).toContain(`kept (live; --include-live removes it) ${liveDir}`);
  expect((await entries(workdir)).sort()).toEqual(['run-other-client-' + slug, 'run-other-host-h0123456789'].sort());

  const all = await hostsJson('clean', file, '--include-live');
  expect(all.run.code).toBe(0);
  expect(all.run.stderr).toContain('--include-live: live runs\' directories are removed too');
  expect(all.leftovers).toEqual([expect.objectContaining({ path: liveDir, state: 'live', removed: true })]);
  // Another host's directory (NFS home) is that host's to judge: never touched from here.
  expect(await entries(workdir)).toEqual(['run-other-host-h0123456789']);
  expect(await runTea(tea, ['hosts', 'clean', file, '--dry-run', '--include-live'])).toMatchObject({ code: 2 });
  await sh(`rm -rf ${workdir}`);
});

describe('a MaxSessions 1 host (files over exec): a long branch holds the only channel', () => {
  let one: LocalHostsFixture;
  beforeAll(async () => {
    one = await startLocalHosts({ count: 1, maxSessions: 1 });
  });
  afterAll(async () => {
    await one?.stop();
  });

  it('its run stays live past the bound (heartbeat or branch process), and another run never removes it', async () => {
    const workdir = `${one.remoteConfig().workdir}-one`;
    const file = (name: string, branch: string, extra: Record<string, unknown> = {}) =>
      writeIn(dir, `${name}.yaml`, YAML.stringify({
        name,
        settings: { parallel: { strategy: 'remote', remote: one.remoteConfig({ workdir, stale_run_seconds: STALE, max_channels_per_host: 1, ...extra }) } },
        nodes: [{ name: 'start', run: 'return {};' }, { name: 'work', run: branch }, { name: 'join', run: 'return {};' }],
        edges: [{ from: '__start__', to: 'start' }, { from: 'start', to: ['work'], type: 'parallel', fan_in: 'join' }, { from: 'work', to: 'join' }, { from: 'join', to: '__end__' }],
      }));
    const onSh = async (command: string) => (await one.exec(0, command)).stdout;
    const long = startRun(file('one-long', LONG));
    const [name] = await until('the run staged', async () => (await onSh(`ls -A ${workdir} 2>/dev/null || true`)).split('\n').filter((e) => e.startsWith('run-')), (e) => e.length === 1);
    const runDir = `${workdir}/${name}`;
    await until('its branch runs', async () => (await onSh(`grep -l -s -F -e 'TEA_FLOW_MARK=${runDir}/' /proc/[0-9]*/environ || true`)).trim(), (p) => p !== '');
    await sleep((STALE + 3) * 1000);
    // Another client's run on the same account and workdir: its sweep must keep the directory.
    const other = await runTea(tea, ['run', file('one-other', QUICK)]);
    expect(other.code).toBe(0);
    expect(other.stderr).not.toContain(`removed`);
    expect((await onSh(`ls -A ${workdir}`)).split('\n')).toContain(name);
    const listed = await runTea(tea, ['hosts', 'check', file('one-check', QUICK), '--json']);
    const [report] = JSON.parse(listed.stdout) as Array<{ leftovers: JsonLeftover[] }>;
    expect(['live', 'busy']).toContain(report!.leftovers.find((l) => l.path === runDir)?.state);
    long.child.kill('SIGINT');
    expect(await long.exited).toBe(130);
    await onSh(`rm -rf ${workdir}`);
  });
});
