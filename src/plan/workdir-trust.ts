import { TeaError, errorMessage, isTeaError } from '../errors';
import { ignoreEvents } from '../events';
import type { Logger } from '../log';
import type { RemoteConfig } from '../config/remote';
import { buildProbeRequest, parseProbeOutput } from '../remote/host/host-probe';
import { sftpPath } from '../remote/host/layout';
import { describeUntrusted } from '../remote/host/workdir-trust';
import { ConnectionPool } from '../remote/ssh/pool';
import type { HostSpec } from '../remote/trust/hosts';
import { ExecTransfer } from '../remote/transfer/exec-transfer';

/**
 * The GNU Parallel path's workdir trust check (issue 14; docs/security.md "The workdir trust
 * model"): before GNU Parallel's ssh makes or runs anything in the workdir, each host gets the
 * ssh2 path's check over ssh2. The probe's exec judges every existing component from the login
 * directory (or `/`) down to the workdir and `.cache` (StrictModes: real directories, the
 * login user's or root's, not writable by group or others); then the workdir and this
 * fan-out's directory are made one component at a time (0700), each one that exists checked
 * again (exec-transfer.ts), which closes the race with a directory someone else creates in a
 * shared `/tmp` meanwhile. GNU Parallel's own `mkdir -p` then finds them made.
 *
 * Returns the hosts refused (E_HOST_UNUSABLE naming the path, owner, mode and fix). A host
 * that cannot be reached now is not refused: its jobs fail as GNU Parallel's connect failures.
 */
export async function checkPlanWorkdirs(
  specs: readonly HostSpec[],
  remote: RemoteConfig,
  remoteDir: string,
  runId: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<Map<string, TeaError>> {
  const refused = new Map<string, TeaError>();
  if (specs.length === 0) return refused;
  const pool = new ConnectionPool(specs, remote, logger, ignoreEvents);
  const workdir = sftpPath(remote.workdir);
  const names = workdir.split('/').filter((p) => p !== '' && p !== '.');
  const extra = sftpPath(remoteDir).split('/').filter((p) => p !== '' && p !== '.').slice(names.length);
  try {
    await Promise.all(
      specs.map(async (spec) => {
        const bounded = AbortSignal.any([signal, AbortSignal.timeout((spec.connectTimeoutSeconds + 60) * 1000)]);
        const connection = pool.get(spec.id);
        try {
          await connection.connect(bounded);
          const request = buildProbeRequest({ workdir, cached: [], env: [] });
          const facts = parseProbeOutput((await connection.exec(request.command, bounded, { stdin: request.stdin })).stderrTail);
          const untrusted = describeUntrusted(remote.workdir, facts.untrusted, facts.uid, facts.user);
          if (untrusted !== null) {
            refused.set(spec.id, new TeaError('E_HOST_UNUSABLE', `${spec.id}: unusable (gnu_parallel: run): ${untrusted}`, { host: spec.id }));
            return;
          }
          const all = [...names, ...extra];
          const roleOf = (i: number) => (i < names.length - 1 ? 'anc' : i === names.length - 1 ? 'workdir' : 'run') as 'anc' | 'workdir' | 'run';
          await new ExecTransfer(connection, runId).ensureTrustedDir(workdir.startsWith('/') ? '' : '.', all, { loginUid: facts.uid, host: spec.id, workdir: remote.workdir, roleOf }, bounded);
        } catch (error) {
          if (signal.aborted) throw error;
          if (isTeaError(error) && error.code === 'E_HOST_UNUSABLE') {
            refused.set(spec.id, new TeaError('E_HOST_UNUSABLE', `${error.message.replace(/^[^:]*: unusable: /, `${spec.id}: unusable (gnu_parallel: run): `)}`, { host: spec.id }));
          } else {
            logger.debug(`gnu-parallel: ${spec.id}: workdir not checked now (${errorMessage(error)}); GNU Parallel's own login will fail the same way`);
          }
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return refused;
}
