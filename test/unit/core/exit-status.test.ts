import { exitError } from '../../../src/core/exit-status';
import { classify } from '../../../src/core/failure-policy';

describe('exitError: one exit-status classifier for process, remote and GNU Parallel', () => {
  const usage = { code: 2, signal: null, stderrTail: 'Error: --entry-point "x": no such node' };

  it('exit 2 (tea run rejected its invocation) is E_BRANCH_REJECTED, never retried, wherever tea ran', () => {
    for (const runner of ['local', 'remote'] as const) {
      const error = exitError(usage, { flow: 'b', runner });
      expect(error.code).toBe('E_BRANCH_REJECTED');
      expect(error.message).toBe('--entry-point "x": no such node (tea run exited with code 2: not retried, the same run would be rejected again)');
      expect(classify(error).retry).toBe('never');
    }
  });

  it('a non-zero exit is the branch\'s own failure: E_NODE_FAILED locally, E_REMOTE_EXIT on a host; both retried only if configured', () => {
    const exit = { code: 1, signal: null, stderrTail: 'noise\nError: node "a" failed: boom\n' };
    const local = exitError(exit, { flow: 'a', runner: 'local' });
    const remote = exitError(exit, { flow: 'a', runner: 'remote', where: 'branch "a" on h', host: 'h', command: 'tea run ...' });
    expect([local.code, remote.code]).toEqual(['E_NODE_FAILED', 'E_REMOTE_EXIT']);
    expect(local.message).toBe('node "a" failed: boom (tea run exited with code 1)');
    expect(remote.message).toBe('branch "a" on h: node "a" failed: boom (tea run exited with code 1) [tea run ...]');
    expect([classify(local).retry, classify(remote).retry]).toEqual(['if-configured', 'if-configured']);
    expect(remote).toMatchObject({ host: 'h', flow: 'a', exitCode: 1 });
  });

  it('reads 128+N and a signal as killed by that signal, 126/127 on a host as a basefile that cannot start', () => {
    expect(exitError({ code: 137, signal: null, stderrTail: '' }, { flow: 'a', runner: 'remote' }).message).toBe('tea run was killed by SIGKILL, no error message');
    expect(exitError({ code: null, signal: 'SIGTERM', stderrTail: '' }, { flow: 'a', runner: 'local' })).toMatchObject({ code: 'E_NODE_FAILED', signal: 'SIGTERM' });
    expect(exitError({ code: 127, signal: null, stderrTail: 'sh: node: not found' }, { flow: 'a', runner: 'remote' }).message).toMatch(/^the tea basefile could not start \(exit 127\).*: sh: node: not found$/);
  });
});
