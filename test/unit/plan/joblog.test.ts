import { parseJoblog } from '../../../src/plan/joblog';

const HEADER = 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand';

describe('parseJoblog', () => {
  it('reads each job by its seq, with the command (TABs and all) as the last column', () => {
    const text = [
      HEADER,
      '2\troot@127.0.0.1:2222\t1795892924.439\t     7.951\t16\t44\t0\t0\tenv ./tea run --entry-point plain',
      "1\tssh -i '/k/a b' root@h:22\t1795892924.431\t     6.986\t16\t0\t1\t0\tenv ./tea run --entry-point 'tab\there'",
      '3\troot@127.0.0.1:2222\t1795892924.450\t     8.005\t16\t0\t-1\t15\tslow',
      '',
    ].join('\n');
    const entries = parseJoblog(text);
    expect([...entries.keys()]).toEqual([2, 1, 3]);
    expect(entries.get(1)).toEqual({
      seq: 1,
      host: "ssh -i '/k/a b' root@h:22",
      startTime: 1795892924.431,
      runtimeSeconds: 6.986,
      sent: 16,
      received: 0,
      exitval: 1,
      signal: 0,
      command: "env ./tea run --entry-point 'tab\there'",
    });
    expect(entries.get(3)).toMatchObject({ exitval: -1, signal: 15 });
  });

  it('skips the header, blank lines and a half-written last line', () => {
    const entries = parseJoblog(`${HEADER}\n1\th:22\t1.0\t2.0\t0\t0\t0\t0\tok\n2\th:22\t1.0\t`);
    expect([...entries.keys()]).toEqual([1]);
    expect(parseJoblog('')).toEqual(new Map());
  });

  it('keeps the later line when a seq appears twice', () => {
    const entries = parseJoblog(`1\ta:22\t1\t1\t0\t0\t255\t0\tx\n1\tb:22\t2\t1\t0\t0\t0\t0\tx\n`);
    expect(entries.get(1)).toMatchObject({ host: 'b:22', exitval: 0 });
  });
});
