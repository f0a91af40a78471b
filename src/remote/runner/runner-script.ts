import { randomBytes } from 'node:crypto';
import { execRequest, type ExecRequest } from '../command/bootstrap';
import { BASEFILE_CHECK } from '../command/reaper';

import { RUNNER_COMMAND } from './runner-command';

export { RUNNER_COMMAND };

/**
 * The runner's start, read by the bootstrap like every branch wrapper (bootstrap.ts):
 * the basefile check (exit 86 when a tmp cleaner took it), the run directory as the
 * working directory, then the protocol moves to fds 3 (requests, the channel's stdin), 4
 * (replies, its stdout) and 5 (the runner's own diagnostics, its stderr) while 0-2 become
 * /dev/null: a branch's children reading stdin or printing cannot touch the protocol, and
 * the runner reopens 3-5 close-on-exec (host-runner.ts), so no child holds the channel
 * open after the runner is gone.
 * Arguments: <basefile> <nonce> <grace seconds> <run dir>
 */
export const RUNNER_SCRIPT = [
  't=$1 k=$2 g=$3 r=$4',
  'export TEA_REMOTE_BRANCH=1',
  'umask 077',
  BASEFILE_CHECK.replaceAll('$1', '$t'),
  'cd -- "$r" || { echo "tea-wrapper: cannot enter the run directory $r" >&2; exit 125; }',
  `exec "$t" ${RUNNER_COMMAND} "$t" "$k" "$g" "$r" 3<&0 4>&1 5>&2 </dev/null >/dev/null 2>&1`,
].join('\n');

export interface RunnerStart extends ExecRequest {
  nonce: string;
}

export function runnerRequest(spec: { tea: string; runDir: string; killGraceSeconds: number }): RunnerStart {
  const nonce = randomBytes(12).toString('hex');
  const grace = String(Math.max(1, Math.ceil(spec.killGraceSeconds)));
  return { ...execRequest({ script: RUNNER_SCRIPT, args: [spec.tea, nonce, grace, spec.runDir] }), nonce };
}
