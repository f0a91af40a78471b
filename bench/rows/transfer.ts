import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransfer } from '../../src/remote/transfer/transfer-choice';
import type { TransferKind } from '../../src/remote/transfer/file-transfer';
import { msSince as since, singleHostPool, writeRandomFile } from '../lib/host-pool';
import { round, type RowContext } from './measure';

/** Per transfer kind, ms per repetition. */
export interface TransferFigures {
  /** The file work of one branch (mkdir, input.json in, result.json out, removal), median over `branches`. */
  branch_io_ms: number[];
  /** putFile of the upload file: temp name, size + sha256 check on the host, rename. */
  upload_ms: number[];
}

export interface TransferRow {
  bytes: number;
  branches: number;
  sftp: TransferFigures;
  exec: TransferFigures;
}

/**
 * Row 6: the exec transfer (files over exec channels, for hosts without usable SFTP) next to
 * SFTP, same host, same connection kind, same run: a branch's file work and a basefile upload.
 */
export async function transferRow(ctx: RowContext): Promise<TransferRow> {
  const { cluster } = ctx.env;
  const bytes = ctx.opts.uploadMiB * 2 ** 20;
  const file = join(ctx.scratch, 'transfer.bin');
  writeRandomFile(file, bytes);
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  const host = cluster.first(1)[0]!;
  const branches = 50;
  const row: TransferRow = { bytes, branches, sftp: { branch_io_ms: [], upload_ms: [] }, exec: { branch_io_ms: [], upload_ms: [] } };
  const input = JSON.stringify({ n: 1, payload: 'x'.repeat(200) });
  for (let rep = 1; rep <= ctx.opts.reps; rep += 1) {
    for (const kind of ['sftp', 'exec'] as TransferKind[]) {
      ctx.log(`row 6, transfer ${kind}, repetition ${rep}/${ctx.opts.reps}`);
      const workdir = `${ctx.remote}/transfer-${kind}-${rep}`;
      const { pool, connection } = singleHostPool(cluster, host, workdir);
      try {
        const signal = AbortSignal.timeout(600_000);
        await connection.connect(signal);
        const transfer = createTransfer(kind, connection, `bench${rep}`);
        const root = await transfer.ensureDir(workdir, signal);
        // Warm: the SFTP channel opens on first use.
        await transfer.size(`${root}/none`, signal);
        const perBranch: number[] = [];
        for (let b = 0; b < branches; b += 1) {
          const dir = `${root}/b${b}`;
          const t = process.hrtime.bigint();
          await transfer.ensureDir(dir, signal);
          await transfer.writeFile(`${dir}/input.json`, input, 0o600, signal);
          await transfer.readFile(`${dir}/input.json`, 1 << 20, signal);
          await transfer.remove([`${dir}/input.json`, dir], signal);
          perBranch.push(since(t));
        }
        perBranch.sort((a, b) => a - b);
        row[kind].branch_io_ms.push(round(perBranch[Math.floor(perBranch.length / 2)]!));
        const t = process.hrtime.bigint();
        await transfer.putFile(file, `${root}/upload.bin`, { mode: 0o600, size: bytes, sha256 }, signal);
        row[kind].upload_ms.push(round(since(t)));
      } finally {
        await pool.close();
      }
      await cluster.exec(host, `rm -rf ${workdir}`);
    }
  }
  return row;
}
