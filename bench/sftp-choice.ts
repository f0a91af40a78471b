/**
 * Measures the choice recorded in docs/decisions.md: SFTP through ssh2-sftp-client
 * (its own connection, calls serialized as its README advises) versus ssh2's own
 * SFTP channel on our connection (requests pipelined), for the per-flow pattern
 * mkdir / put input / exec / get result / cleanup, 8 flows at a time.
 *
 * Usage: node bench/dist/sftp-choice.js <host> <port> <user> <key> [flows]
 */
import { readFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { Client, type SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';

const [host = '127.0.0.1', portText = '22', user = 'root', keyPath = '', flowsText = '300'] = process.argv.slice(2);
const port = Number(portText);
const FLOWS = Number(flowsText);
const SLOTS = 8;
const privateKey = readFileSync(keyPath);
const input = JSON.stringify({ payload: 'x'.repeat(512) });

function exec(client: Client, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tryOpen = () =>
      client.exec(command, (err, stream) => {
        if (err) return err.message.includes('Channel open failure') ? setTimeout(tryOpen, 5) : reject(err);
        stream.on('data', () => {}).stderr.on('data', () => {});
        stream.on('close', () => resolve());
      });
    tryOpen();
  });
}

async function pool(n: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: SLOTS }, async () => {
    while (next < n) await work(next++);
  }));
}

/** A mutex: ssh2-sftp-client is not meant for concurrent calls on one client. */
function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}

async function viaSftpClient(dir: string): Promise<number> {
  const sftp = new SftpClient();
  await sftp.connect({ host, port, username: user, privateKey });
  const client = (sftp as unknown as { client: Client }).client;
  // Same footing as ours: TCP_NODELAY on its socket (it cannot be handed one).
  (client as unknown as { _sock: { setNoDelay(on: boolean): void } })._sock.setNoDelay(true);
  const lock = serial();
  await sftp.mkdir(dir, true);
  const started = process.hrtime.bigint();
  await pool(FLOWS, async (i) => {
    const d = `${dir}/f${i}`;
    await lock(() => sftp.mkdir(d));
    await lock(() => sftp.put(Buffer.from(input), `${d}/input.json`));
    await exec(client, `cp ${d}/input.json ${d}/result.json`);
    await lock(() => sftp.get(`${d}/result.json`));
    await lock(() => sftp.rmdir(d, true));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await sftp.rmdir(dir, true);
  await sftp.end();
  return ms;
}

async function viaSsh2Sftp(dir: string): Promise<number> {
  const client = new Client();
  const sock = tcp({ host, port });
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('error', reject).connect({ sock, username: user, privateKey }));
  const sftp = await new Promise<SFTPWrapper>((res, rej) => client.sftp((e, s) => (e ? rej(e) : res(s))));
  const p = <T>(fn: (cb: (e: Error | null | undefined, v?: T) => void) => void) =>
    new Promise<T>((res, rej) => fn((e, v) => (e ? rej(e) : res(v as T))));
  await exec(client, `mkdir -p ${dir}`);
  const started = process.hrtime.bigint();
  await pool(FLOWS, async (i) => {
    const d = `${dir}/f${i}`;
    await p<void>((cb) => sftp.mkdir(d, cb));
    await p<void>((cb) => sftp.writeFile(`${d}/input.json`, input, cb));
    await exec(client, `cp ${d}/input.json ${d}/result.json`);
    await p<Buffer>((cb) => sftp.readFile(`${d}/result.json`, cb));
    await p<void>((cb) => sftp.unlink(`${d}/input.json`, cb));
    await p<void>((cb) => sftp.unlink(`${d}/result.json`, cb));
    await p<void>((cb) => sftp.rmdir(d, cb));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await exec(client, `rm -rf ${dir}`);
  client.end();
  return ms;
}

(async () => {
  const base = `/tmp/tea-sftp-choice-${process.pid}`;
  const rows: Array<[string, number]> = [];
  for (let round = 0; round < 3; round += 1) {
    rows.push(['ssh2-sftp-client (serialized)', await viaSftpClient(`${base}-a${round}`)]);
    rows.push(['ssh2 SFTP channel (pipelined)', await viaSsh2Sftp(`${base}-b${round}`)]);
  }
  for (const name of new Set(rows.map(([n]) => n))) {
    const times = rows.filter(([n]) => n === name).map(([, t]) => t).sort((a, b) => a - b);
    const median = times[1]!;
    console.log(`${name.padEnd(32)} ${FLOWS} flows: median ${median.toFixed(0)} ms = ${(median / FLOWS).toFixed(2)} ms/flow`);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
