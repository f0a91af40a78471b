import { LineSplitter, ReplyReader, encode, parseRequest, readyMarker, type DoneReply, type Reply } from '../../../../src/remote/runner/protocol';
import { RUNNER_COMMAND, RUNNER_SCRIPT, runnerRequest } from '../../../../src/remote/runner/runner-script';
import { BOOTSTRAP_COMMAND } from '../../../../src/remote/command/bootstrap';

const done = (id: number, extra: Partial<DoneReply> = {}): DoneReply => ({ t: 'done', id, code: 0, stderrTail: '', rss: 1000, ...extra });

function reader(nonce = 'n0nce') {
  const got: { ready: number; replies: Reply[]; errors: Error[] } = { ready: 0, replies: [], errors: [] };
  const r = new ReplyReader(nonce, 1024, {
    ready: () => (got.ready += 1),
    reply: (reply) => got.replies.push(reply),
    error: (error) => got.errors.push(error),
  });
  return { r, got };
}

describe('warm runner protocol', () => {
  it('skips what rc files print before the ready marker, then reads one reply per line', () => {
    const { r, got } = reader();
    r.push(Buffer.from(`Welcome!\n{"t":"done","id":9}\n${readyMarker('n0nce')}${encode(done(1)).slice(0, 10)}`));
    expect(got.ready).toBe(1);
    expect(got.replies).toEqual([]);
    r.push(Buffer.from(`${encode(done(1)).slice(10)}${encode(done(2, { code: 3 }))}`));
    expect(got.replies).toEqual([done(1), done(2, { code: 3 })]);
    expect(got.errors).toEqual([]);
  });

  it('finds a marker split across chunks, byte by byte', () => {
    const { r, got } = reader();
    for (const byte of Buffer.from(`noise${readyMarker('n0nce')}${encode(done(7))}`)) r.push(Buffer.from([byte]));
    expect([got.ready, got.replies]).toEqual([1, [done(7)]]);
  });

  it('a marker with another nonce is not the runner', () => {
    const { r, got } = reader();
    r.push(Buffer.from(`${readyMarker('other')}${encode(done(1))}`));
    expect([got.ready, got.replies]).toEqual([0, []]);
  });

  it('reports a malformed line, a reply of the wrong shape and an over-long line as errors', () => {
    for (const bad of ['not json\n', '{"t":"done","id":"1"}\n', `${'x'.repeat(2000)}\n`]) {
      const { r, got } = reader();
      r.push(Buffer.from(readyMarker('n0nce')));
      r.push(Buffer.from(bad));
      expect([got.replies, got.errors.length]).toEqual([[], 1]);
    }
  });

  it('parses the two requests and refuses anything else', () => {
    const run = { t: 'run', id: 1, argv: ['run', '/w.yaml'], flowDir: '/tmp/x', input: 'e30=', env: { A: 'b' }, maxResultBytes: 10, cleanup: true };
    expect(parseRequest(JSON.stringify(run))).toEqual(run);
    expect(parseRequest('{"t":"cancel","id":4}')).toEqual({ t: 'cancel', id: 4 });
    expect(parseRequest('{"t":"standby","n":3}')).toEqual({ t: 'standby', n: 3 });
    expect(parseRequest(JSON.stringify({ ...run, standbys: 2 }))).toEqual({ ...run, standbys: 2 });
    for (const bad of [
      '{}', '{"t":"run","id":1}', JSON.stringify({ ...run, flowDir: 'relative' }), JSON.stringify({ ...run, argv: [1] }), '{"t":"cancel"}',
      '{"t":"standby"}', '{"t":"standby","n":-1}', '{"t":"standby","n":1.5}', '{"t":"standby","n":"2"}', JSON.stringify({ ...run, standbys: -1 }), JSON.stringify({ ...run, standbys: 'x' }),
    ]) {
      expect(() => parseRequest(bad)).toThrow(/not a runner request/);
    }
  });

  it('LineSplitter joins lines split over chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter(100, (l) => lines.push(l));
    s.push(Buffer.from('ab'));
    s.push(Buffer.from('c\nde\n\nf'));
    s.push(Buffer.from('\n'));
    expect(lines).toEqual(['abc', 'de', '', 'f']);
  });

  it('starts through the shell-neutral bootstrap; the script moves the protocol off fds 0-2', () => {
    const start = runnerRequest({ tea: '/w/.cache/tea-x', runDir: '/w/run-1', killGraceSeconds: 5 });
    expect(start.command).toBe(BOOTSTRAP_COMMAND);
    expect(start.nonce).toMatch(/^[0-9a-f]{24}$/);
    const line = start.stdin.toString('utf8');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain(start.nonce);
    expect(RUNNER_SCRIPT).toContain(`${RUNNER_COMMAND} "$t" "$k" "$g" "$r" 3<&0 4>&1 5>&2 </dev/null >/dev/null 2>&1`);
    expect(RUNNER_SCRIPT).toContain('[ -f "$t" ]');
  });
});
