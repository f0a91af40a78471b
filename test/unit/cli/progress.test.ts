import { PassThrough } from 'node:stream';
import type { RunEvent } from '../../../src/events';
import { joblogRows, JOBLOG_COLUMNS } from '../../../src/cli/joblog';
import { Progress, fitItems } from '../../../src/cli/progress';
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

describe('Progress on a terminal', () => {
  /** A fake terminal: what was written, and a screen emulated from it (rows of `columns`, wrap on, CSI A and J). */
  function terminal(columns: number) {
    const stream = new PassThrough();
    let raw = '';
    stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    Object.assign(stream, { isTTY: true, columns, rows: 40 });
    const screen = () => {
      const rows: string[] = [''];
      let r = 0;
      let c = 0;
      const put = (ch: string) => {
        if (c >= columns) {
          r += 1;
          c = 0;
        }
        rows[r] = (rows[r] ?? '').padEnd(c, ' ').slice(0, c) + ch + (rows[r] ?? '').slice(c + 1);
        c += 1;
      };
      for (let i = 0; i < raw.length; i += 1) {
        const ch = raw[i]!;
        if (ch === '\u001b') {
          const m = /^\u001b\[(\d*)([A-Za-z])/.exec(raw.slice(i))!;
          if (m[2] === 'A') r = Math.max(0, r - Number(m[1] || 1));
          if (m[2] === 'B') r += Number(m[1] || 1);
          if (m[2] === 'K' && m[1] === '2') rows[r] = '';
          if (m[2] === 'J') rows.splice(r + 1), (rows[r] = (rows[r] ?? '').slice(0, c));
          i += m[0].length - 1;
        } else if (ch === '\r') c = 0;
        else if (ch === '\n') {
          r += 1;
          c = 0;
          rows[r] ??= '';
        } else put(ch);
      }
      return rows;
    };
    return { stream, raw: () => raw, screen, shrinkSilently: (n: number) => (columns = n), resize: (n: number) => ((columns = n), Object.assign(stream, { columns: n }), stream.emit('resize')) };
  }
  const host = (i: number) => `tea-test@build-host-number-${i}.example.org:22`;
  const runOn = (progress: Progress, n: number) => {
    progress.onEvent({ type: 'fanout:started', node: 'split', fan_in: 'join', branches: Array.from({ length: n }, (_, i) => ({ branch: `b${i}`, strategy: 'remote' as const })) });
    for (let i = 0; i < n; i += 1) progress.onEvent({ type: 'flow:started', index: i, branch: `b${i}`, target: host(i % 4), attempt: 1 });
  };

  it('never turns line wrapping off, and prints log lines whole above the status, which is drawn again after each', () => {
    const t = terminal(80);
    const progress = new Progress({ stream: t.stream, tty: true, redrawMs: 60_000 });
    runOn(progress, 8);
    const warning = `tea: warn: ${host(9)}: excluded from this run: authentication failed for user "tea-test" (tried: /root/.ssh/id_ed25519). Check the user name, then authorize the key on the host`;
    progress.write(`${warning}\n`);
    expect(t.raw()).not.toContain('\u001b[?7l');
    expect(t.raw()).not.toContain('\u001b[J'); // never "clear to end of screen" (tmux would push a cleared screen to the scrollback)
    const rows = t.screen();
    // The warning wrapped over several rows, every character there, in order.
    const start = rows.findIndex((r) => r.startsWith('tea: warn:'));
    const wrapped = Math.ceil(warning.length / 80);
    expect(rows.slice(start, start + wrapped).join('')).toBe(warning);
    // Then the status, below it, fitted to 80 columns.
    expect(rows.slice(start + wrapped).filter(Boolean)).toEqual([
      'remote 0/8 done | 0 failed | 0 retrying | 8 running | 0s',
      `  ${host(0)}: 2, +3 more`,
    ]);
    progress.stop();
  });

  it('fits 200 columns: one line when it all fits, else the hosts on a second line', () => {
    const t = terminal(200);
    const progress = new Progress({ stream: t.stream, tty: true, redrawMs: 60_000 });
    runOn(progress, 4);
    // Too long for one line: the per-host detail goes on a second line, every host shown.
    expect(t.screen().filter(Boolean)).toEqual(['remote 0/4 done | 0 failed | 0 retrying | 4 running | 0s', `  ${[0, 1, 2, 3].map((i) => `${host(i)}: 1`).join(', ')}`]);
    progress.stop();

    const short = terminal(200);
    const p2 = new Progress({ stream: short.stream, tty: true, redrawMs: 60_000 });
    p2.onEvent({ type: 'fanout:started', node: 'split', fan_in: 'join', branches: [{ branch: 'x', strategy: 'remote' }] });
    p2.onEvent({ type: 'flow:started', index: 0, branch: 'x', target: 'tea-test@127.0.0.1:43133', attempt: 1 });
    expect(short.screen().filter(Boolean)).toEqual(['remote 0/1 done | 0 failed | 0 retrying | 1 running | 0s | tea-test@127.0.0.1:43133: 1']);
    p2.stop();
  });

  it('follows a resize: shorter lines, by whole items', () => {
    const t = terminal(200);
    const progress = new Progress({ stream: t.stream, tty: true, redrawMs: 60_000 });
    runOn(progress, 4);
    t.resize(40);
    const narrow = t.screen().filter(Boolean);
    expect(narrow.at(-2)).toBe('remote 0/4 done | 0 failed | 0 retrying');
    expect(narrow.at(-1)).toBe('  +4 more'); // a host label longer than the line is left out whole, never cut
    progress.stop();
  });

  it('a redraw between a resize and its signal uses the width the terminal has now', () => {
    const t = terminal(200);
    const progress = new Progress({ stream: t.stream, tty: true, redrawMs: 60_000 });
    runOn(progress, 4);
    // The terminal is 40 wide already; `columns` and the 'resize' event have not caught up.
    // (A tty's handle asks the terminal; the stream's getWindowSize() only repeats `columns`.)
    Object.assign(t.stream, {
      getWindowSize: () => [200, 40],
      _handle: { getWindowSize: (size: number[]) => ((size[0] = 40), (size[1] = 40), 0) },
    });
    t.shrinkSilently(40);
    progress.write('tea: info: a log line\n');
    // (The fake screen replays everything at the new width, so rows drawn before it are not
    // what a real terminal shows; tmux is the real check, test/integration/cli/terminal.test.ts.)
    const rows = t.screen().filter(Boolean);
    expect(rows.slice(rows.indexOf('tea: info: a log line') + 1)).toEqual(['remote 0/4 done | 0 failed | 0 retrying', '  +4 more']);
    // The rows erased before the log line are counted at the new width: 2 + 5 rows, so 6 up.
    expect(t.raw()).toContain('\r\u001b[6A\u001b[2K');
    progress.stop();
  });

  it('redraws on a timer (elapsed time moves) and leaves the last status on screen when stopped', () => {
    jest.useFakeTimers();
    try {
      const t = terminal(120);
      const progress = new Progress({ stream: t.stream, tty: true, redrawMs: 1000 });
      runOn(progress, 1);
      jest.advanceTimersByTime(3000);
      expect(t.screen().filter(Boolean).at(-1)).toMatch(/^remote 0\/1 done \| 0 failed \| 0 retrying \| 1 running \| 3s \| /);
      progress.onEvent({ type: 'flow:finished', index: 0, branch: 'b0', target: host(0), success: true, timing_ms: 3000 });
      progress.stop();
      expect(t.raw().endsWith('\n')).toBe(true);
      expect(t.screen().filter(Boolean).at(-1)).toBe('remote 1/1 done | 0 failed | 0 retrying | 0 running | 3s');
      expect(t.raw()).not.toContain('tea: progress:');
    } finally {
      jest.useRealTimers();
    }
  });
});

it('fitItems keeps whole items and counts the rest', () => {
  const more = (n: number) => `+${n} more`;
  expect(fitItems(['aaa', 'bbb', 'ccc'], ', ', 100, more)).toBe('aaa, bbb, ccc');
  expect(fitItems(['aaa', 'bbb', 'ccc'], ', ', 13, more)).toBe('aaa, bbb, ccc');
  expect(fitItems(['aaa', 'bbb', 'ccc'], ', ', 12, more)).toBe('aaa, +2 more');
  expect(fitItems(['aaaaaaaaaaaaaaaaaaaa'], ', ', 10, more)).toBe('+1 more');
  expect(fitItems(['a', 'b'], ' | ', 5, () => '')).toBe('a | b');
  expect(fitItems(['a', 'b'], ' | ', 4, () => '')).toBe('a');
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

it('joblogRows: a branch that failed before any attempt still gets a row (Attempt 0, Host -)', () => {
  const never: Extract<RunEvent, { type: 'fanout:finished' }> = {
    ...finished,
    results: [{ branch: 'q', strategy: 'remote', success: false, error_code: 'E_NO_HEALTHY_HOST', attempts: [] }],
  };
  const rows = joblogRows(never, 1, Date.parse(at));
  expect(rows.map((r) => Object.fromEntries(JOBLOG_COLUMNS.map((c, i) => [c, r[i]])))).toEqual([
    { Seq: '1', Host: '-', Starttime: '1767225600.000', JobRuntime: '0.000', Exitval: '-1', Signal: '0', ErrorCode: 'E_NO_HEALTHY_HOST', Branch: 'q', Attempt: '0', FanOut: 'split', Strategy: 'remote' },
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
