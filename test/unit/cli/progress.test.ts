import { PassThrough } from 'node:stream';
import type { RunEvent } from '../../../src/events';
import { joblogRows, JOBLOG_COLUMNS } from '../../../src/cli/joblog';
import { Progress } from '../../../src/cli/progress';
import { SummaryCollector } from '../../../src/cli/summary';

function sink(tty: boolean): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  if (tty) Object.assign(stream, { isTTY: true, columns: 160, rows: 40 });
  return { stream, text: () => text };
}

const A = 'tea@a:22';
const B = 'tea@b:22';
const started: RunEvent = { type: 'fanout:started', node: 'split', fan_in: 'join', branches: [{ branch: 'x', strategy: 'remote' }, { branch: 'y', strategy: 'remote' }, { branch: 'z', strategy: 'thread' }] };
const at = '2026-01-01T00:00:00.000Z';
const finished: Extract<RunEvent, { type: 'fanout:finished' }> = {
  type: 'fanout:finished',
  node: 'split',
  fan_in: 'join',
  duration_ms: 2500,
  results: [
    { branch: 'x', strategy: 'remote', success: true, error_code: null, attempts: [{ host: A, started_at: at, duration_ms: 1200, ok: true }] },
    {
      branch: 'y',
      strategy: 'remote',
      success: false,
      error_code: 'E_REMOTE_EXIT',
      attempts: [
        { host: A, started_at: at, duration_ms: 10, ok: false, error_code: 'E_CONNECTION_LOST' },
        { host: B, started_at: at, duration_ms: 20, ok: false, error_code: 'E_REMOTE_EXIT', exit_code: 3 },
      ],
    },
    { branch: 'z', strategy: 'thread', success: true, error_code: null, attempts: [{ host: 'local', started_at: at, duration_ms: 5, ok: true }] },
  ],
};

describe('Progress, not a TTY', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('prints a line at the start, one per interval with counts and host load, and one at the end', () => {
    const out = sink(false);
    const progress = new Progress({ stream: out.stream, tty: false, intervalMs: 1000 });
    progress.onEvent(started);
    progress.onEvent({ type: 'flow:started', index: 2, branch: 'z', target: 'local', attempt: 1 });
    progress.onEvent({ type: 'flow:started', index: 0, branch: 'x', target: A, attempt: 1 });
    progress.onEvent({ type: 'flow:started', index: 1, branch: 'y', target: A, attempt: 1 });
    jest.advanceTimersByTime(1000);
    progress.onEvent({ type: 'flow:retrying', index: 1, branch: 'y', target: A, attempt: 2, delay_ms: 100, error_code: 'E_CONNECTION_LOST' });
    progress.onEvent({ type: 'flow:finished', index: 0, branch: 'x', target: A, success: true, timing_ms: 1200 });
    jest.advanceTimersByTime(1000);
    progress.onEvent({ type: 'flow:started', index: 1, branch: 'y', target: B, attempt: 2 });
    progress.onEvent({ type: 'flow:finished', index: 1, branch: 'y', target: B, success: false, timing_ms: 20, error_code: 'E_REMOTE_EXIT' });
    progress.onEvent({ type: 'flow:finished', index: 2, branch: 'z', target: 'local', success: true, timing_ms: 5 });
    progress.onEvent(finished);
    jest.advanceTimersByTime(5000); // stopped: no more lines
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      'tea: progress: fan-out "split": 2 remote branches',
      `tea: progress: 0/2 done, 0 failed, 0 retrying, 2 running (${A}: 2)`,
      expect.stringMatching(/^tea: progress: 1\/2 done, 0 failed, 1 retrying, 0 running, ETA \d+s$/),
      'tea: progress: fan-out "split" ended in 2.5s: 2/2 done, 1 failed, 0 retrying, 0 running',
    ]);
  });

  it('stays silent for fan-outs without remote branches', () => {
    const out = sink(false);
    const progress = new Progress({ stream: out.stream, tty: false, intervalMs: 1000 });
    progress.onEvent({ type: 'fanout:started', node: 'n', fan_in: 'j', branches: [{ branch: 'z', strategy: 'thread' }] });
    progress.onEvent({ type: 'flow:finished', index: 0, branch: 'z', target: 'local', success: true, timing_ms: 5 });
    jest.advanceTimersByTime(3000);
    progress.stop();
    expect(out.text()).toBe('');
  });
});

it('Progress on a TTY draws a cli-progress bar with counts and host load, and no plain lines', () => {
  const out = sink(true);
  const progress = new Progress({ stream: out.stream, tty: true });
  progress.onEvent(started);
  progress.onEvent({ type: 'flow:started', index: 0, branch: 'x', target: A, attempt: 1 });
  progress.onEvent({ type: 'flow:finished', index: 0, branch: 'x', target: A, success: true, timing_ms: 1200 });
  progress.onEvent(finished);
  progress.stop();
  expect(out.text()).not.toContain('tea: progress:');
  expect(out.text()).toMatch(/remote \[.*\] 1\/2 done \| 0 failed \| 0 retrying/);
});

it('joblogRows: one row per attempt, GNU Parallel style times, -1 without an exit status', () => {
  const rows = joblogRows(finished, 7);
  expect(rows.map((r) => Object.fromEntries(JOBLOG_COLUMNS.map((c, i) => [c, r[i]])))).toEqual([
    { Seq: '7', Host: A, Starttime: '1767225600.000', JobRuntime: '1.200', Exitval: '0', Signal: '0', ErrorCode: '', Branch: 'x', Attempt: '1', FanOut: 'split', Strategy: 'remote' },
    { Seq: '8', Host: A, Starttime: '1767225600.000', JobRuntime: '0.010', Exitval: '-1', Signal: '0', ErrorCode: 'E_CONNECTION_LOST', Branch: 'y', Attempt: '1', FanOut: 'split', Strategy: 'remote' },
    { Seq: '9', Host: B, Starttime: '1767225600.000', JobRuntime: '0.020', Exitval: '3', Signal: '0', ErrorCode: 'E_REMOTE_EXIT', Branch: 'y', Attempt: '2', FanOut: 'split', Strategy: 'remote' },
    { Seq: '10', Host: 'local', Starttime: '1767225600.000', JobRuntime: '0.005', Exitval: '0', Signal: '0', ErrorCode: '', Branch: 'z', Attempt: '1', FanOut: 'split', Strategy: 'thread' },
  ]);
});

it('SummaryCollector counts branches, retries and per-host attempts', () => {
  const summary = new SummaryCollector();
  summary.onEvent(started);
  summary.onEvent(finished);
  expect(summary.finish(0, '/tmp/out.json')).toMatchObject({
    status: 'succeeded',
    output: '/tmp/out.json',
    fanouts: [{ node: 'split', fan_in: 'join', branches: 3, succeeded: 2, failed: 1, retries: 1, duration_ms: 2500 }],
    hosts: { [A]: { attempts: 2, ok: 1, failed: 1 }, [B]: { attempts: 1, ok: 0, failed: 1 }, local: { attempts: 1, ok: 1, failed: 0 } },
  });
});
