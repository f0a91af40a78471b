import type { RemoteConfig } from '../../config/remote';
import { errorMessage, isTeaError } from '../../errors';
import type { HostConnection } from '../ssh/connection';
import { ExecTransfer } from './exec-transfer';
import type { FileTransfer, TransferKind } from './file-transfer';
import { SftpTransfer } from './sftp-transfer';

export type TransferMode = RemoteConfig['transfer'];

/** What the preflight found about SFTP: usable, or why not. */
export type SftpProbe = { usable: true } | { usable: false; why: string; error: unknown };

export interface TransferChoice {
  kind: TransferKind;
  /** One line for logs, `tea hosts check` and --dry-run. */
  detail: string;
  /** fail: `transfer: sftp` on a host whose SFTP does not work (the host is unusable). */
  level: 'ok' | 'warn' | 'fail';
}

/**
 * Opens the SFTP channel, under the SFTP deadline. Opening it is the test: ssh2 answers only
 * after the server's SFTP version packet, so a subsystem that is missing, never answers, or is
 * preceded by rc-file output fails here; no request beyond it is needed (each costs a round trip).
 * Never throws for the host's state, except a lost connection (the preflight's own failure).
 */
export async function probeSftp(connection: HostConnection, signal: AbortSignal): Promise<SftpProbe> {
  try {
    const lease = await connection.sftpLease(signal);
    lease.release();
    return { usable: true };
  } catch (error) {
    if (signal.aborted || (isTeaError(error) && error.code === 'E_CONNECTION_LOST')) throw error;
    // "user@host:port: SFTP is not usable: <why>; set ..." -> "<why>"
    const why = errorMessage(error).replace(/^[^:\s]+@[^:\s]+:\d+: (SFTP is not usable: )?/, '').replace(/; set settings\.parallel\.remote\.transfer.*$/, '');
    return { usable: false, why, error };
  }
}

/** The transfer a host gets, from the mode, the SFTP probe, and whether SFTP crowds exec out (MaxSessions 1). */
export function decideTransfer(mode: TransferMode, probe: SftpProbe | null, crowdsExec: boolean): TransferChoice {
  if (mode === 'exec' || probe === null) return { kind: 'exec', level: 'ok', detail: 'files over exec channels (transfer: exec)' };
  if (!probe.usable) {
    return mode === 'sftp'
      ? { kind: 'sftp', level: 'fail', detail: `SFTP is not usable: ${probe.why}: fix it or set transfer to auto or exec` }
      : { kind: 'exec', level: 'ok', detail: `files over exec channels: SFTP is not usable (${probe.why})` };
  }
  if (crowdsExec) {
    return mode === 'sftp'
      ? { kind: 'sftp', level: 'warn', detail: 'SFTP, closed whenever exec needs its channel: the server allows one channel at a time (MaxSessions 1); transfer auto would use exec' }
      : { kind: 'exec', level: 'ok', detail: 'files over exec channels: the server allows no exec channel beside SFTP (MaxSessions 1)' };
  }
  return { kind: 'sftp', level: 'ok', detail: 'files over SFTP' };
}

export function createTransfer(kind: TransferKind, connection: HostConnection, runId: string): FileTransfer {
  return kind === 'sftp' ? new SftpTransfer(connection, runId) : new ExecTransfer(connection, runId);
}
