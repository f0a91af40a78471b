import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { loadBasefile } from '../../src/remote/host/basefile';
import { SftpTransfer } from '../../src/remote/transfer/sftp-transfer';
import { HostStaging } from '../../src/remote/host/staging';
import { msSince as since, singleHostPool, writeRandomFile } from '../lib/host-pool';
import { timed } from '../lib/spawn';
import { round, type RowContext } from './measure';

export interface UploadRow {
  bytes: number;
  /** ms per repetition. */
  tea_connect_ms: number[];
  /** HostStaging.stage(): mkdirs, fastPut, size and sha256sum check, rename, workflow write. */
  tea_stage_ms: number[];
  /** ssh2 fastPut alone on the same kind of connection (what stage() spends on the bytes). */
  tea_fastput_ms: number[];
  /** `scp FILE host:DIR/` as a whole process: connection setup included. */
  scp_ms: number[];
  /** `ssh host true`: an OpenSSH connection's setup cost, to read scp's transfer time alone. */
  ssh_true_ms: number[];
}

/**
 * Row 3: basefile upload throughput through tea-remote's own staging code (the
 * src/remote modules, in this process) against OpenSSH scp, to the same host, a
 * fresh remote directory each time (no cache hit).
 */
export async function uploadRow(ctx: RowContext): Promise<UploadRow> {
  const { cluster } = ctx.env;
  const bytes = ctx.opts.uploadMiB * 2 ** 20;
  const file = join(ctx.scratch, 'upload.bin');
  writeRandomFile(file, bytes);
  const host = cluster.first(1)[0]!;
  const row: UploadRow = { bytes, tea_connect_ms: [], tea_stage_ms: [], tea_fastput_ms: [], scp_ms: [], ssh_true_ms: [] };
  const basefile = loadBasefile(file);
  for (let rep = 1; rep <= ctx.opts.reps; rep += 1) {
    ctx.log(`row 3, upload ${ctx.opts.uploadMiB} MiB, repetition ${rep}/${ctx.opts.reps}`);
    const workdir = `${ctx.remote}/upload-${rep}`;
    const { pool, connection } = singleHostPool(cluster, host, workdir);
    try {
      const signal = AbortSignal.timeout(600_000);
      let t = process.hrtime.bigint();
      await connection.connect(signal);
      row.tea_connect_ms.push(round(since(t)));
      t = process.hrtime.bigint();
      // The hosts are local: the login user's uid is this machine's (staging checks every directory against it).
      const loginUid = Number(execFileSync('id', ['-u', cluster.user]).toString().trim());
      await new HostStaging(connection, new SftpTransfer(connection, `bench${rep}`), workdir, `bench${rep}`, basefile, 'name: upload\n', silentLogger, { loginUid }).stage(signal);
      row.tea_stage_ms.push(round(since(t)));
      const lease = await connection.sftpLease(signal);
      t = process.hrtime.bigint();
      await lease.ops.fastPut(file, `${workdir}/fastput.bin`, 0o600);
      row.tea_fastput_ms.push(round(since(t)));
      lease.release();
    } finally {
      await pool.close();
    }
    const ssh = cluster.sshOptions();
    const probe = await timed('ssh', [...ssh, '-p', String(host.port), `${cluster.user}@127.0.0.1`, 'true']);
    if (probe.code !== 0) throw new Error(`ssh true failed: ${probe.stderr.trim()}`);
    row.ssh_true_ms.push(round(probe.wallMs));
    const scp = await timed('scp', ['-q', ...ssh, '-P', String(host.port), file, `${cluster.user}@127.0.0.1:${workdir}/scp.bin`]);
    if (scp.code !== 0) throw new Error(`scp failed: ${scp.stderr.trim()}`);
    row.scp_ms.push(round(scp.wallMs));
    await cluster.exec(host, `rm -rf ${workdir}`);
  }
  return row;
}
