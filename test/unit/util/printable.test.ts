import { printable } from '../../../src/util/printable';
import { stderrLogger } from '../../../src/cli/logger';

describe('printable', () => {
  it('escapes newlines, carriage returns, escapes and other controls; keeps tabs and text', () => {
    expect(printable('a\nb\rc\u001b[2Jd\u0000e\u007f\u0085f\u2028g\th ünï 名前')).toBe('a\\nb\\rc\\x1b[2Jd\\x00e\\x7f\\x85f\\u2028g\th ünï 名前');
  });

  it('keeps a node name with a newline from forging a log line', () => {
    let out = '';
    const logger = stderrLogger({ write: (t: string) => ((out += t), true) } as unknown as NodeJS.WritableStream, 'normal');
    logger.warn('branch "x\ntea: info: all good" failed');
    expect(out).toBe('tea: warn: branch "x\\ntea: info: all good" failed\n');
    expect(out.split('\n').filter((l) => l.startsWith('tea: info:'))).toEqual([]);
  });
});
