import { constants } from 'node:os';
import { TeaError, type ErrorCode } from '../errors';

/** How a branch's `tea run` ended: a child process, a remote exec, or a GNU Parallel job. */
export interface BranchExit {
  code: number | null;
  signal: string | null;
  stderrTail: string;
}

export interface ExitContext {
  /** `branch "b" on host`, or nothing when the caller's message names the branch already. */
  where?: string;
  flow: string;
  host?: string;
  /** Where tea ran: a non-zero exit is E_NODE_FAILED locally, E_REMOTE_EXIT on a host. */
  runner: 'local' | 'remote';
  /** The printable command, appended to remote messages. */
  command?: string;
}

/**
 * The one exit-status classifier of process, remote and GNU Parallel branches.
 * tea's CLI exits 2 when it rejects its invocation (workflow, input, scope): the
 * same branch would be rejected again, so that is E_BRANCH_REJECTED (never retried)
 * everywhere. 126/127: the basefile could not start. A signal (or a shell's 128+N):
 * the branch was killed. Anything else: the branch's code failed.
 */
export function exitError(exit: BranchExit, context: ExitContext): TeaError {
  const said = teaErrorLine(exit.stderrTail) ?? lastLine(exit.stderrTail);
  const signal = exit.signal ?? (exit.code !== null && exit.code > 128 && exit.code < 255 ? signalName(exit.code - 128) : null);
  let code: ErrorCode;
  let what: string;
  if (exit.code === 2) {
    code = 'E_BRANCH_REJECTED';
    what = `${said || 'tea run rejected its workflow, input or scope'} (tea run exited with code 2: not retried, the same run would be rejected again)`;
  } else if (context.runner === 'remote' && (exit.code === 126 || exit.code === 127)) {
    code = 'E_REMOTE_EXIT';
    what = `the tea basefile could not start (exit ${exit.code}): is Node >= 18 on the host's PATH, or use a standalone binary basefile${said ? `: ${said}` : ''}`;
  } else {
    code = context.runner === 'remote' ? 'E_REMOTE_EXIT' : 'E_NODE_FAILED';
    const how = exit.code === null || signal !== null ? `tea run was killed by ${signal ?? 'a signal'}` : `tea run exited with code ${exit.code}`;
    what = said === '' ? `${how}, no error message` : `${said} (${how})`;
  }
  const message = `${context.where === undefined ? '' : `${context.where}: `}${what}${context.command === undefined ? '' : ` [${context.command}]`}`;
  return new TeaError(code, message, {
    flow: context.flow,
    ...(context.host === undefined ? {} : { host: context.host }),
    exitCode: exit.code,
    signal,
    stderrTail: exit.stderrTail,
  });
}

/** The message of a tea CLI's `Error: ...` line, if its stderr has one. */
export function teaErrorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l.startsWith('Error: '));
  return lines.at(-1)?.slice('Error: '.length).trim();
}

export function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
}

export function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? String(n);
}
