/**
 * How files reach a host and come back: over the SFTP subsystem (sftp-transfer.ts) or over
 * exec channels (exec-transfer.ts) when the host has no usable SFTP. Both keep the same
 * promises: uploads land under a temporary name, are checked (size, sha256) and renamed, so
 * nothing ever runs half a file; directories 0700, files 0600 unless asked; reads are bounded.
 */
import { randomBytes } from 'node:crypto';
import type { TrustCheck } from '../host/workdir-trust';

export type TransferKind = 'sftp' | 'exec';

export interface PutOptions {
  mode: number;
  size: number;
  /** Checked on the host when it has sha256sum (coreutils or BusyBox). */
  sha256?: string;
}

export interface FileTransfer {
  readonly kind: TransferKind;
  /** `mkdir -p` (new components 0700); the directory's absolute path. */
  ensureDir(path: string, signal: AbortSignal): Promise<string>;
  /**
   * `base/names...` made one component at a time (new ones 0700); each one that existed must
   * pass the workdir trust rule (workdir-trust.ts), else E_HOST_UNUSABLE naming it. `base` is
   * trusted already ('' = `/`, '.' = the login directory). The result's absolute path.
   */
  ensureTrustedDir(base: string, names: readonly string[], check: TrustCheck, signal: AbortSignal): Promise<string>;
  /** The size of a file, or null when there is none. */
  size(path: string, signal: AbortSignal): Promise<number | null>;
  /** A local file to `target`: temporary name beside it, checked, renamed into place. */
  putFile(localPath: string, target: string, options: PutOptions, signal: AbortSignal): Promise<void>;
  /** Small content (workflow, input, env file) to `path`, whose directory exists. */
  writeFile(path: string, data: string | Buffer, mode: number, signal: AbortSignal): Promise<void>;
  /** A file's content; NoSuchFileError when missing, an error when larger than `maxBytes`. */
  readFile(path: string, maxBytes: number, signal: AbortSignal): Promise<Buffer>;
  /** Removes files, then empty directories, in the order given; missing ones are fine. */
  remove(paths: readonly string[], signal: AbortSignal): Promise<void>;
}

/** The file asked for does not exist (SFTP status 2, or the exec script's status). */
export class NoSuchFileError extends Error {
  readonly code = 2;
  constructor(path: string) {
    super(`${path}: no such file`);
    this.name = 'NoSuchFileError';
  }
}

export const DIR_MODE = 0o700; // states can hold secrets
export const FILE_MODE = 0o600;

/**
 * Where an upload is written before its checks and the rename: beside the target (same file
 * system, so the rename is atomic), named per run and per call so concurrent uploads never meet.
 */
export function uploadTempName(target: string, runId: string): string {
  return `${target}.tmp-${runId}-${randomBytes(4).toString('hex')}`;
}
