import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostSlug, runDirName } from '../../../../src/remote/host/layout';
import { describeLeftovers, parseLeftovers, SWEEP_FUNCTION, type LeftoverMode } from '../../../../src/remote/host/leftovers';
import { heartbeatSeconds, markerText } from '../../../../src/remote/host/run-marker';

// The sweep is POSIX sh: run here with the local /bin/sh on a scratch workdir, as the probe
// runs it on a host (after the trust check, with $a and $u set). Ages come from mtimes set
// by hand, so nothing here depends on the clock's pace.
const slug = hostSlug('u@h:22');
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tea-sweep-'));
  mkdirSync(join(root, '.cache'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const hoursAgo = (path: string, hours: number) => {
  const t = Date.now() / 1000 - hours * 3600;
  utimesSync(path, t, t);
};
function runDir(name: string, marker?: { deadAfter: number; keep?: boolean; ended?: boolean; hoursOld?: number }): string {
  const dir = join(root, name);
  mkdirSync(join(dir, '1-0-a1'), { recursive: true });
  if (marker !== undefined) {
    const file = join(dir, '.tea-run');
    writeFileSync(file, markerText({ runId: name, deadAfterSeconds: marker.deadAfter, keep: marker.keep ?? false, ended: marker.ended ?? false, startedAt: new Date() }));
    if (marker.hoursOld !== undefined) hoursAgo(file, marker.hoursOld);
  }
  return dir;
}
function sweep(mode: LeftoverMode, stale = 900) {
  const script = `${SWEEP_FUNCTION}\na=$1; u=$(id -u); zw "$2" "$3" "$4"`;
  const result = execFileSync('/bin/sh', ['-c', script, 'sh', root, mode, slug, String(stale)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(result).toBe('');
  return result;
}
function sweepLines(mode: LeftoverMode, stale = 900) {
  const script = `${SWEEP_FUNCTION}\na=$1; u=$(id -u); zw "$2" "$3" "$4" 2>&1`;
  const out = execFileSync('/bin/sh', ['-c', script, 'sh', root, mode, slug, String(stale)], { encoding: 'utf8' });
  return parseLeftovers(out.split('\n').filter((l) => l.startsWith('left=')).map((l) => l.slice(5)));
}

describe('the leftover sweep (sh, on a scratch workdir)', () => {
  it('tells dead from live by the marker the writer left, and removes only the dead in clean mode', () => {
    const dead = runDir(runDirName('dead', slug), { deadAfter: 60, hoursOld: 1 });
    const live = runDir(runDirName('live', slug), { deadAfter: 86400, hoursOld: 1 }); // its writer promised a day
    const fresh = runDir(runDirName('fresh', slug), { deadAfter: 60 });
    const list = sweepLines('list');
    const states = Object.fromEntries(list.map((l) => [l.path, l.state]));
    expect(states).toEqual({ [dead]: 'dead', [live]: 'live', [fresh]: 'live' });
    expect(list.every((l) => !l.removed)).toBe(true);
    expect([dead, live, fresh].every((d) => existsSync(d))).toBe(true);

    const clean = sweepLines('clean');
    expect(clean.filter((l) => l.removed).map((l) => l.path)).toEqual([dead]);
    expect([existsSync(dead), existsSync(live), existsSync(fresh)]).toEqual([false, true, true]);
  });

  it('keeps a stale directory whose branch processes still run (busy), and one without a marker until its mtime is stale', () => {
    const busy = runDir(runDirName('busy', slug), { deadAfter: 60, hoursOld: 1 });
    const young = runDir(runDirName('young', slug));
    const old = runDir('run-mx0legacy-0a1b2c3d'); // an older tea's name, no marker
    hoursAgo(old, 2);
    const mark = `TEA_FLOW_MARK=${busy}/1-0-a1/`;
    const child = spawn('sleep', ['30'], { env: { ...process.env, TEA_FLOW_MARK: `${busy}/1-0-a1/` }, stdio: 'ignore' });
    const environ = () => {
      try {
        return readFileSync(`/proc/${child.pid}/environ`, 'utf8');
      } catch {
        return '';
      }
    };
    try {
      // Until the exec: before it, the child's environ is still this process's.
      for (let i = 0; i < 100 && !environ().includes(mark); i += 1) execFileSync('sleep', ['0.05']);
      expect(environ()).toContain(mark);
      const states = Object.fromEntries(sweepLines('clean').map((l) => [l.path, [l.state, l.removed]]));
      expect(states).toEqual({ [busy]: ['busy', false], [young]: ['live', false], [old]: ['dead', true] });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('keeps a stale directory in which a process works (the warm runner: cwd in the run directory)', async () => {
    const busy = runDir(runDirName('runner', slug), { deadAfter: 60, hoursOld: 1 });
    const child = spawn('sleep', ['30'], { cwd: busy, stdio: 'ignore' });
    try {
      const cwd = () => execFileSync('readlink', [`/proc/${child.pid}/cwd`], { encoding: 'utf8' }).trim();
      for (let i = 0; i < 100 && cwd() !== busy; i += 1) execFileSync('sleep', ['0.05']);
      expect(sweepLines('clean').map((l) => [l.path, l.state, l.removed])).toEqual([[busy, 'busy', false]]);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    expect(sweepLines('clean').map((l) => [l.path, l.state, l.removed])).toEqual([[busy, 'dead', true]]);
  });

  it('never looks at another host\'s run directory (NFS home) nor follows a symlink', () => {
    const other = runDir(runDirName('x', hostSlug('u@other:22')), { deadAfter: 60, hoursOld: 1 });
    symlinkSync('/etc', join(root, runDirName('link', slug)));
    expect(sweepLines('all')).toEqual([]);
    expect(existsSync(other)).toBe(true);
    expect(existsSync('/etc/passwd')).toBe(true);
  });

  it('kept (cleanup: false) directories: kept once ended or silent, removed by purge only; partial uploads by their mtime', () => {
    const ended = runDir(runDirName('ended', slug), { deadAfter: 60, keep: true, ended: true });
    const silent = runDir(runDirName('silent', slug), { deadAfter: 60, keep: true, hoursOld: 1 });
    const oldUpload = join(root, '.cache', 'tea-0123456789abcdef.tmp-r1-aa');
    const newUpload = join(root, '.cache', 'tea-0123456789abcdef.tmp-r2-bb');
    writeFileSync(oldUpload, 'x');
    writeFileSync(newUpload, 'x');
    hoursAgo(oldUpload, 1);
    writeFileSync(join(root, '.cache', 'tea-0123456789abcdef'), 'the basefile itself');
    // A preflight's writability probe whose shell was killed, and one of a preflight running now.
    const oldProbe = join(root, '.tea-probe-4242');
    const newProbe = join(root, '.tea-probe-4343');
    for (const probe of [oldProbe, newProbe]) {
      mkdirSync(probe, { mode: 0o700 });
      writeFileSync(join(probe, 'x'), '#!/bin/sh\nexit 0\n');
    }
    hoursAgo(oldProbe, 1);
    const clean = sweepLines('clean', 600);
    expect(Object.fromEntries(clean.map((l) => [l.path, [l.kind, l.state, l.removed]]))).toEqual({
      [ended]: ['run', 'kept', false],
      [silent]: ['run', 'kept', false],
      [oldUpload]: ['upload', 'dead', true],
      [newUpload]: ['upload', 'live', false],
      [oldProbe]: ['probe', 'dead', true],
      [newProbe]: ['probe', 'live', false],
    });
    const purge = sweepLines('purge', 600);
    expect(purge.filter((l) => l.removed).map((l) => l.path).sort()).toEqual([ended, silent].sort());
    expect(existsSync(join(root, '.cache', 'tea-0123456789abcdef'))).toBe(true);
    expect(existsSync(newUpload)).toBe(true);
  });

  it('prints nothing on stdout (rc files and results share it)', () => {
    runDir(runDirName('dead', slug), { deadAfter: 60, hoursOld: 1 });
    sweep('clean');
  });
});

describe('leftover reports and the marker', () => {
  it('parses the probe lines and words them for logs', () => {
    const parsed = parseLeftovers(['dead 1 run 3700 /w/run-a-h1\tvm pid 12', 'live 0 run 5 /w/run-b-h1\t', 'garbage']);
    expect(parsed).toEqual([
      { state: 'dead', removed: true, kind: 'run', ageSeconds: 3700, path: '/w/run-a-h1', client: 'vm pid 12' },
      { state: 'live', removed: false, kind: 'run', ageSeconds: 5, path: '/w/run-b-h1', client: '' },
    ]);
    expect(describeLeftovers(parsed)).toBe(
      'removed 1 leftover(s): /w/run-a-h1 (run directory, dead, last written 62min ago, client vm pid 12); 1 live run(s) of other clients or processes, not touched: /w/run-b-h1 (run directory, live, last written 5s ago)',
    );
    expect(describeLeftovers([])).toBeNull();
  });

  it('the marker holds only sed-safe values, and the heartbeat is a fifth of the bound', () => {
    const text = markerText({ runId: 'r1;rm -rf /', deadAfterSeconds: 900, keep: false, startedAt: new Date(0) });
    expect(text).toMatch(/^tea-run-marker=1\nrun_id=r1_rm -rf _\nclient=[A-Za-z0-9._: -]+ pid \d+\nstarted=1970-01-01T00:00:00.000Z\ndead_after=900\nkeep=0\n$/);
    expect(heartbeatSeconds(900)).toBe(180);
    expect(heartbeatSeconds(3)).toBe(1);
  });

  it('host slugs: stable, distinct, shell-safe', () => {
    expect(hostSlug('u@h:22')).toBe(hostSlug('u@h:22'));
    expect(hostSlug('u@h:22')).not.toBe(hostSlug('u@h:2222'));
    expect(hostSlug('u@h:22')).toMatch(/^h[0-9a-f]{10}$/);
    expect(runDirName('r1', slug)).toBe(`run-r1-${slug}`);
  });
});
