// Issue 14: a basefile upload cut short (Ctrl-C, a timeout: the caller's signal aborts) leaves
// no partial `.tmp-*` file on the host, over SFTP and over exec, against real sshd.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remoteConfigSchema } from '../../../src/config/remote';
import { ignoreEvents } from '../../../src/events';
import { silentLogger } from '../../../src/log';
import { ConnectionPool } from '../../../src/remote/ssh/pool';
import { ExecTransfer } from '../../../src/remote/transfer/exec-transfer';
import { SftpTransfer } from '../../../src/remote/transfer/sftp-transfer';
import { resolveHosts } from '../../../src/remote/trust/hosts';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';

jest.setTimeout(120_000);

let fx: LocalHostsFixture;
let pool: ConnectionPool | undefined;
const local = mkdtempSync(join(tmpdir(), 'tea-upload-abort-'));
const SIZE = 96 * 1024 * 1024;
const file = join(local, 'basefile');
beforeAll(async () => {
  fx = await startLocalHosts({ count: 1 });
  writeFileSync(file, randomBytes(SIZE));
});
afterAll(async () => {
  await pool?.close();
  await fx?.stop();
  rmSync(local, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it.each(['sftp', 'exec'] as const)('%s: an upload whose signal aborts mid-way removes its temporary file', async (kind) => {
  const remote = remoteConfigSchema.parse(fx.remoteConfig({ hosts: [fx.hosts[0]!.sshlogin] }));
  const [spec] = resolveHosts(remote);
  pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
  const connection = pool.get(spec!.id);
  await connection.connect();
  const dir = `${remote.workdir}-abort-${kind}`;
  await fx.exec(0, `mkdir -p -m 700 ${dir}`);
  const transfer = kind === 'sftp' ? new SftpTransfer(connection, 'r1') : new ExecTransfer(connection, 'r1');
  const controller = new AbortController();
  const upload = transfer.putFile(file, `${dir}/tea-0123456789abcdef`, { mode: 0o700, size: SIZE }, controller.signal);
  upload.catch(() => {});
  const temps = async () => (await fx.exec(0, `ls -A ${dir}`)).stdout.split('\n').filter((f) => f.includes('.tmp-'));
  // Abort once the partial file is on the host (bounded wait).
  const end = Date.now() + 30_000;
  while ((await temps()).length === 0 && Date.now() < end) await sleep(20);
  expect((await temps()).length).toBe(1);
  controller.abort(new Error('interrupted'));
  await expect(upload).rejects.toThrow();
  // The exec transfer's host side removes it once the channel's stdin ends; both within a bound.
  const gone = Date.now() + 20_000;
  while ((await temps()).length > 0 && Date.now() < gone) await sleep(100);
  expect(await fx.exec(0, `ls -A ${dir}`)).toMatchObject({ stdout: '' });
  await fx.exec(0, `rm -rf ${dir}`);
  await pool.close();
  pool = undefined;
});
