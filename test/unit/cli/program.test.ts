import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../../src/cli/program';
import { formatError, exitCodeFor } from '../../../src/cli/report-error';
import { TeaError } from '../../../src/errors';

/** Runs the CLI in-process; commands that spawn or build are covered by test/integration/cli. */
async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(argv, { stdout, stderr, stdin: Readable.from([]), signal: new AbortController().signal });
  return { code, out, err };
}

describe('runCli', () => {
  it('prints the version from package.json', async () => {
    const { version } = require('../../../package.json') as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('prints help, and usage with exit 2 when no command is given', async () => {
    expect((await cli('--help')).out).toMatch(/^Usage: tea <command>.*\n[\s\S]*run  /);
    expect((await cli('run', '--help')).out).toMatch(/^Usage: tea run <workflow.yaml>/);
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^Usage: tea/);
  });

  it('rejects unknown commands and options, and bad argument counts, with exit 2 and one line', async () => {
    expect(await cli('fly')).toEqual({ code: 2, out: '', err: 'Error: unknown command "fly" (commands: run, plan, hosts; see "tea --help")\n' });
    const unknown = await cli('run', 'wf.yaml', '--fast');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^Error: tea run: Unknown option '--fast'.*\n$/);
    expect((await cli('run')).err).toBe('Error: tea run: expected one workflow file, got 0 (see "tea run --help")\n');
    expect((await cli('run', 'a.yaml', 'b.yaml')).code).toBe(2);
    const both = await cli('run', 'a.yaml', '-v', '-q');
    expect(both.err.split('\n')[0]).toBe('Error: tea run: --verbose and --quiet cannot be used together');
    expect(both.err).toMatch(/\n {4}at /); // -v asked for the stack
    expect((await cli('run', 'a.yaml', '--input')).err).toMatch(/^Error: tea run: Option '--input <value>' argument missing/);
  });
});

describe('error reporting', () => {
  it('is one line, with the stack and causes only when verbose', () => {
    const error = new TeaError('E_WORKFLOW_INVALID', 'nodes[0].name: bad\nedges[1].to: worse', { cause: new Error('root') });
    expect(formatError(error, false)).toBe('Error: nodes[0].name: bad; edges[1].to: worse\n');
    const verbose = formatError(error, true);
    expect(verbose.split('\n')[0]).toBe('Error: nodes[0].name: bad; edges[1].to: worse');
    expect(verbose).toMatch(/\n {4}at /);
    expect(verbose).toMatch(/caused by: Error: root/);
  });

  it('maps usage codes to 2 and everything else to 1', () => {
    for (const code of ['E_USAGE', 'E_WORKFLOW_INVALID', 'E_CONFIG_INVALID', 'E_INPUT_INVALID', 'E_SCOPE_INVALID'] as const) {
      expect(exitCodeFor(new TeaError(code, 'x'))).toBe(2);
    }
    expect(exitCodeFor(new TeaError('E_BRANCH_FAILED', 'x'))).toBe(1);
    expect(exitCodeFor(new Error('bug'))).toBe(1);
  });
});
