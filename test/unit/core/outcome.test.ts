import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { toParallelResult } from '../../../src/core/outcome';
import { TeaError } from '../../../src/errors';

const flow = { entryPoint: 'b', exitPoint: 'j', state: {} };

describe('the one mapping to parallel_results', () => {
  it('maps a success: state, attempts in snake_case, retries counted from the attempts', () => {
    const r = toParallelResult({ flow, ok: true, state: { x: 1 }, timingMs: 12, host: 'h1', attempts: [
      { host: 'h0', startedAt: 0, durationMs: 5, failure: { code: 'E_CONNECTION_LOST', error: new TeaError('E_CONNECTION_LOST', 'lost', { host: 'h0' }) } },
      { host: 'h1', startedAt: 1000, durationMs: 7 },
    ] });
    expect(r).toEqual({
      branch: 'b', success: true, state: { x: 1 }, error: null, error_type: null, timeout: false, timing_ms: 12, retry_count: 1, host: 'h1',
      attempts: [
        { host: 'h0', started_at: '1970-01-01T00:00:00.000Z', duration_ms: 5, ok: false, error_code: 'E_CONNECTION_LOST', error: 'lost' },
        { host: 'h1', started_at: '1970-01-01T00:00:01.000Z', duration_ms: 7, ok: true },
      ],
    });
    // The view's key order, as JSON readers see it.
    expect(Object.keys(r).slice(0, 6)).toEqual(['branch', 'success', 'state', 'error', 'error_type', 'timeout']);
  });

  it('maps a failure: the classified code, timeout flag, exit code, signal and stderr tail from the error', () => {
    const error = new TeaError('E_REMOTE_EXIT', 'exit 3', { exitCode: 3, signal: 'TERM', stderrTail: 'boom' });
    const r = toParallelResult({ flow, ok: false, error, code: 'E_TIMEOUT', timingMs: 0, attempts: [{ startedAt: 0, durationMs: 1, failure: { code: 'E_TIMEOUT', error } }] });
    expect(r).toMatchObject({ success: false, state: null, error: 'exit 3', error_type: 'E_TIMEOUT', timeout: true, retry_count: 0, exit_code: 3, stderr_tail: 'boom' });
    expect(r.attempts).toEqual([{ started_at: '1970-01-01T00:00:00.000Z', duration_ms: 1, ok: false, error_code: 'E_TIMEOUT', error: 'exit 3', exit_code: 3, signal: 'TERM' }]);
    expect(r).not.toHaveProperty('host');
  });

  it('is the only place in src that builds the view (retry_count / started_at are written nowhere else)', () => {
    const src = path.resolve(__dirname, '../../../src');
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const writers = walk(src).filter((f) => /\b(retry_count|started_at)\s*:/.test(readFileSync(f, 'utf8')));
    expect(writers.map((f) => path.relative(src, f)).sort()).toEqual(['cli/summary.ts', 'core/outcome.ts', 'executors/types.ts']);
  });
});
