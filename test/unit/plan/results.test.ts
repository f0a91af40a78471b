import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Flow } from '../../../src/executors/types';
import type { JoblogEntry } from '../../../src/plan/joblog';
import { collectResults, type CollectOptions } from '../../../src/plan/results';
import type { PlanHost } from '../../../src/plan/ssh-login';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tea-plan-results-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const hosts: PlanHost[] = [
  { id: 'tea@h1:2222', host: 'h1', port: 2222, user: 'tea', slots: 2 },
  { id: 'root@[::1]:22', host: '::1', port: 22, user: 'root', slots: 1, identityFile: '/k' },
];
const flows: Flow[] = ['a', 'b', 'c'].map((b) => ({ entryPoint: b, exitPoint: 'join', state: { n: 1 } }));
const entry = (seq: number, over: Partial<JoblogEntry> = {}): JoblogEntry => ({
  seq,
  host: 'tea@h1:2222',
  startTime: 1795892924.5,
  runtimeSeconds: 1.25,
  sent: 0,
  received: 0,
  exitval: 0,
  signal: 0,
  command: 'x',
  ...over,
});
const put = (i: number, name: string, text: string) => {
  mkdirSync(path.join(dir, 'flows', String(i)), { recursive: true });
  writeFileSync(path.join(dir, 'flows', String(i), name), text);
};
const collect = (entries: JoblogEntry[], over: Partial<CollectOptions> = {}) =>
  collectResults({
    dir,
    flows,
    hosts,
    entries: new Map(entries.map((e) => [e.seq, e])),
    cancelled: false,
    failFast: false,
    parallelExit: { code: 0, stderrTail: '' },
    ...over,
  });

describe('collectResults', () => {
  it('turns exit 0 plus a returned result.json into a success with host, timing and the one logged try', async () => {
    put(0, 'result.json', '{"n":1,"done":true}');
    put(1, 'result.json', '{"b":2}');
    put(2, 'result.json', '{"c":3}');
    const results = await collect([entry(1), entry(2, { host: "ssh -i '/k' root@::1:22" }), entry(3)]);
    expect(results.map((r) => [r.branch, r.success, r.state, r.host])).toEqual([
      ['a', true, { n: 1, done: true }, 'tea@h1:2222'],
      ['b', true, { b: 2 }, 'root@[::1]:22'],
      ['c', true, { c: 3 }, 'tea@h1:2222'],
    ]);
    expect(results[0]).toMatchObject({ error: null, error_type: null, timeout: false, timing_ms: 1250, retry_count: 0 });
    expect(results[0]!.attempts).toEqual([{ host: 'tea@h1:2222', started_at: new Date(1795892924500).toISOString(), duration_ms: 1250, ok: true }]);
  });

  it('classifies failures from Exitval and Signal as the ssh2 path would, with the stderr tail minus rsync noise', async () => {
    put(0, 'out.err', 'about to fail\nError: node "a" failed: boom\nrsync: [sender] link_stat "/w/flows/0/result.json" failed: No such file or directory (2)\nrsync error: some files/attrs were not transferred (code 23)\n');
    put(1, 'out.err', 'ssh: connect to host h1 port 2222: Connection refused\n');
    const results = await collect([entry(1, { exitval: 1 }), entry(2, { exitval: 255 }), entry(3, { exitval: 137 })]);
    expect(results.map((r) => [r.success, r.error_type, r.exit_code])).toEqual([
      [false, 'E_REMOTE_EXIT', 1],
      [false, 'E_CONNECT_FAILED', 255],
      [false, 'E_REMOTE_EXIT', 137],
    ]);
    expect(results[0]!.error).toContain('node "a" failed: boom (tea run exited with code 1)');
    expect(results[0]!.stderr_tail).toBe('about to fail\nError: node "a" failed: boom');
    expect(results[1]!.error).toContain('Connection refused');
    expect(results[2]!.error).toContain('killed by SIGKILL');
    expect(results[0]!.attempts![0]).toMatchObject({ ok: false, error_code: 'E_REMOTE_EXIT', exit_code: 1 });
  });

  it('reads a job GNU Parallel killed (-1) as a timeout, or as cancelled when the run was', async () => {
    const timedOut = await collect([entry(1, { exitval: -1, signal: 15 })], { timeoutSeconds: 3 });
    expect(timedOut[0]).toMatchObject({ success: false, error_type: 'E_TIMEOUT', timeout: true, exit_code: null });
    const cancelled = await collect([entry(1, { exitval: -1, signal: 15 })], { cancelled: true });
    expect(cancelled[0]).toMatchObject({ error_type: 'E_CANCELLED', timeout: false });
  });

  it('names a basefile that cannot start (126/127), and a missing or malformed result', async () => {
    put(1, 'result.json', '[1,2]');
    put(2, 'result.json', '{nope');
    const results = await collect([entry(1, { exitval: 127 }), entry(2), entry(3)]);
    expect(results[0]!.error).toMatch(/could not start \(exit 127\).*Node >= 18/);
    expect(results.slice(1).map((r) => r.error_type)).toEqual(['E_RESULT_INVALID', 'E_RESULT_INVALID']);
    const missing = await collectResults({ dir, flows: [flows[0]!], hosts, entries: new Map([[1, entry(1)]]), cancelled: false, failFast: false, parallelExit: { code: 0, stderrTail: '' } });
    expect(missing[0]).toMatchObject({ success: false, error_type: 'E_RESULT_MISSING' });
  });

  it('explains branches with no joblog line: cancelled, not started after fail_fast, or GNU Parallel failing', async () => {
    expect((await collect([], { cancelled: true })).map((r) => r.error_type)).toEqual(['E_CANCELLED', 'E_CANCELLED', 'E_CANCELLED']);
    const halted = await collect([entry(1, { exitval: 1 })], { failFast: true });
    expect(halted.map((r) => r.error_type)).toEqual(['E_REMOTE_EXIT', 'E_CANCELLED', 'E_CANCELLED']);
    expect(halted[1]!.error).toContain('fail_fast after branch "a" failed');
    const broken = await collect([], { parallelExit: { code: 255, stderrTail: "parallel: Error: 'rsync' is not in $PATH." } });
    expect(broken[0]).toMatchObject({ error_type: 'E_GNU_PARALLEL_FAILED', retry_count: 0, attempts: [] });
    expect(broken[0]!.error).toContain("GNU Parallel (exit 255) never ran it: parallel: Error: 'rsync' is not in $PATH.");
  });
});
