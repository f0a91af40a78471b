import { execFileSync } from 'node:child_process';
import { quote, shellJoin } from '../../../../src/remote/command/quote';

const HOSTILE = ["plain", "with space", "it's", '"double"', '$(touch /tmp/pwned)', '`id`', 'a;b', 'line\nbreak', '*', '~', '', "'", "\\", '-n', 'ünïcödé ✓'];

describe('quote', () => {
  it.each(HOSTILE)('round-trips %j through a real POSIX shell unchanged', (value) => {
    const out = execFileSync('sh', ['-c', `printf '%s' ${quote(value)}`]).toString();
    expect(out).toBe(value);
  });

  it('leaves safe words bare and quotes everything else', () => {
    expect(quote('/tmp/tea-jobs/run-1')).toBe('/tmp/tea-jobs/run-1');
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe("'it'\\''s'");
  });

  it('refuses NUL, which no shell can carry', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
  });

  it('joins argv so the shell sees exactly those arguments', () => {
    const argv = ['one', 'two words', '$(x)', "q'uote"];
    const out = execFileSync('sh', ['-c', `for a in ${shellJoin(argv)}; do printf '[%s]' "$a"; done`]).toString();
    expect(out).toBe('[one][two words][$(x)][q\'uote]');
  });
});
