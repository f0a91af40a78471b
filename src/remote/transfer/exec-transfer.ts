import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import type { ExecResult, HostConnection } from '../ssh/connection';
import { afterMarker, BAD_HASH, BAD_SIZE, NO_SUCH_FILE, readFrame, scriptRequest, TOO_BIG, type ScriptName } from './exec-scripts';
import { NoSuchFileError, uploadTempName, type FileTransfer, type PutOptions } from './file-transfer';
import { untrustedError, type TrustCheck } from '../host/workdir-trust';

/** stdout kept beyond the content: what rc files print before the marker. */
const RC_OUTPUT_ALLOWANCE = 64 * 1024;

/**
 * Files over exec channels, for hosts without usable SFTP: content on stdin, results after a
 * marker on stdout (exec-scripts.ts). Costs one exec (one channel, 2 RTT) per operation and
 * needs only sh, cat, wc, mkdir, mv, chmod (sha256sum when present) on the host.
 */
export class ExecTransfer implements FileTransfer {
  readonly kind = 'exec' as const;

  constructor(
    private readonly connection: HostConnection,
    private readonly runId: string,
  ) {}

  async #run(name: ScriptName, args: readonly string[], signal: AbortSignal, extra: { stdin?: Buffer | NodeJS.ReadableStream; stdoutLimit?: number } = {}): Promise<ExecResult> {
    const request = scriptRequest(name, args, extra.stdin);
    return this.connection.exec(request.command, signal, { stdoutLimit: extra.stdoutLimit ?? RC_OUTPUT_ALLOWANCE, stdin: request.stdin });
  }

  async ensureDir(path: string, signal: AbortSignal): Promise<string> {
    const marker = newMarker();
    const result = await this.#run('ensureDir', [path, marker], signal);
    if (result.code !== 0) throw failed(`cannot create ${path}`, result);
    const real = afterMarker(result.stdout!, marker)?.toString('utf8').split('\n')[0];
    if (real === undefined || !real.startsWith('/')) throw new Error(`cannot read the path of ${path} back (no marker in the output)`);
    return real;
  }

  async ensureTrustedDir(base: string, names: readonly string[], check: TrustCheck, signal: AbortSignal): Promise<string> {
    const marker = newMarker();
    // The script's index is 1-based; a root-owned sticky directory is accepted up to the last 'anc'.
    let lastAnc = 0;
    names.forEach((_, i) => {
      if (check.roleOf(i) === 'anc') lastAnc = i + 1;
    });
    const where = base === '' ? `/${names.join('/')}` : [base, ...names].join('/');
    const result = await this.#run('ensureTrusted', [marker, base, String(lastAnc), ...names], signal);
    if (result.code !== 0) throw failed(`cannot create ${where}`, result);
    const line = afterMarker(result.stdout!, marker)?.toString('utf8').split('\n')[0] ?? '';
    const bad = /^bad (\S*) (\S*) (\d+)$/.exec(line);
    if (bad !== null) {
      const index = Number(bad[3]) - 1;
      const path = base === '' ? `/${names.slice(0, index + 1).join('/')}` : [base, ...names.slice(0, index + 1)].join('/');
      throw untrustedError(check, index, path, bad[1]!, bad[2] === '' ? -1 : Number(bad[2])) ?? new Error(`${path}: refused by the host's trust check`);
    }
    if (!line.startsWith('ok /')) throw new Error(`cannot read the path of ${where} back (no marker in the output)`);
    return line.slice(3);
  }

  async size(path: string, signal: AbortSignal): Promise<number | null> {
    const marker = newMarker();
    const result = await this.#run('size', [path, marker], signal);
    if (result.code !== 0) throw failed(`cannot look at ${path}`, result);
    const rest = afterMarker(result.stdout!, marker);
    if (rest === null) throw new Error(`cannot look at ${path} (no marker in the output)`);
    const text = rest.toString('ascii').trim();
    return text === '' ? null : Number(text);
  }

  async putFile(localPath: string, target: string, options: PutOptions, signal: AbortSignal): Promise<void> {
    await this.#put(target, createReadStream(localPath), options, signal);
  }

  async writeFile(path: string, data: string | Buffer, mode: number, signal: AbortSignal): Promise<void> {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
    await this.#put(path, bytes, { mode, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }, signal);
  }

  async #put(target: string, stdin: Buffer | NodeJS.ReadableStream, options: PutOptions, signal: AbortSignal): Promise<void> {
    const temp = uploadTempName(target, this.runId);
    const mode = options.mode.toString(8);
    const result = await this.#run('put', [target, temp, String(options.size), options.sha256 ?? '-', mode], signal, { stdin });
    if (result.code === BAD_SIZE || result.code === BAD_HASH) throw failed(`upload to ${target} arrived damaged`, result);
    if (result.code !== 0) throw failed(`cannot write ${target} (disk full? not writable?)`, result);
  }

  async readFile(path: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
    const marker = newMarker();
    const result = await this.#run('read', [path, String(maxBytes), marker], signal, { stdoutLimit: maxBytes + RC_OUTPUT_ALLOWANCE + 64 });
    if (result.code === NO_SUCH_FILE) throw new NoSuchFileError(path);
    if (result.code === TOO_BIG) throw failed(`${path} is too large`, result);
    if (result.code !== 0) throw failed(`cannot read ${path}`, result);
    const frame = readFrame(result.stdout!, marker);
    if (frame === null) throw new Error(`cannot read ${path}: the content came back incomplete${result.stdoutOverflow === true ? ' (too much output before it: quiet the rc files)' : ''}`);
    return frame.content;
  }

  async remove(paths: readonly string[], signal: AbortSignal): Promise<void> {
    if (paths.length === 0) return;
    const result = await this.#run('remove', paths, signal);
    if (result.code !== 0) throw failed(`cannot remove ${paths.join(' ')}`, result);
  }
}

function newMarker(): string {
  return `tea-xfer-${randomBytes(8).toString('hex')}`;
}

function failed(what: string, result: ExecResult): Error {
  const last = result.stderrTail.split('\n').filter(Boolean).at(-1);
  return new Error(`${what}: exit ${result.code ?? result.signal}${last === undefined ? '' : ` (${last})`}`);
}
