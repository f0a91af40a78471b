import { TeaError, errorMessage } from '../../errors';
import type { HostSpec } from '../trust/hosts';

/** An SFTP status reply (no such file, permission denied...): the server answered, the channel is fine. */
export function isSftpStatus(error: unknown): boolean {
  // DOMException (an aborted signal's reason) has a numeric legacy `code` too.
  return typeof (error as { code?: unknown } | null)?.code === 'number' && !(error instanceof TeaError) && !(error instanceof DOMException);
}

const FIX = 'set settings.parallel.remote.transfer to exec (or auto) to copy files over exec channels instead';

/**
 * Why the SFTP channel could not be had, as a host failure naming the fix. The three ways real
 * hosts refuse SFTP (docs/remote-layout.md): no Subsystem line, a subsystem whose program is
 * missing (Dropbear without sftp-server), a login shell that prints before the server starts.
 */
export function sftpOpenError(spec: HostSpec, error: unknown, timeoutSeconds: number): TeaError {
  const message = errorMessage(error);
  let why: string;
  if (/Unable to start subsystem/i.test(message)) {
    why = 'the server has no SFTP subsystem (no "Subsystem sftp" line in its sshd_config)';
  } else if (/exit code 127/.test(message)) {
    why = 'the SFTP server program is missing on the host (Dropbear without sftp-server? install openssh-sftp-server)';
  } else if (/exit code|signal|termination/i.test(message)) {
    why = `the SFTP server ended at once (${message})`;
  } else if (/Packet length|exceeds max length|Unexpected packet|Bad packet/i.test(message)) {
    why = `the login shell printed text before the SFTP server started (${message}): make its rc files (e.g. ~/.bashrc) print nothing for non-interactive sessions`;
  } else if (/no answer within/.test(message)) {
    why = `the SFTP subsystem did not answer within ${timeoutSeconds}s (stalled sftp-server?)`;
  } else {
    why = message;
  }
  return new TeaError('E_TRANSFER_FAILED', `${spec.id}: SFTP is not usable: ${why}; ${FIX}`, { host: spec.id, cause: error });
}

/** A request that got no answer in time (error null) or broke the channel: the channel is replaced. */
export function sftpRequestError(spec: HostSpec, request: string, path: string, error: unknown, timeoutSeconds: number): TeaError {
  const what = error === null ? `got no answer within ${Math.round(timeoutSeconds * 10) / 10}s (stalled SFTP channel)` : `failed: ${errorMessage(error)}`;
  return new TeaError('E_TRANSFER_FAILED', `${spec.id}: SFTP ${request} of ${path} ${what}; the channel is replaced. If this repeats, ${FIX}`, {
    host: spec.id,
    ...(error === null ? {} : { cause: error }),
  });
}
