/**
 * The raw ssh2 floor: the least any pure-Node transport has to do, and nothing more.
 * One connection per host (our own socket with TCP_NODELAY), one SFTP channel, the
 * basefile and workflow put once per host, then per branch: mkdir, put input.json,
 * exec the scoped `tea run`, get result.json. No watchdog, host-key check, retry,
 * breaker, cleanup, events or logging: tea-remote's dispatch overhead is measured
 * against this.
 *
 * Usage: node bench/dist/floor.js CONFIG.json   (written by bench/transports/raw-floor.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { Client, type SFTPWrapper } from 'ssh2';

export interface FloorConfig {
  ports: number[];
  user: string;
  keyPath: string;
  /** Absolute; each host works in REMOTE_DIR/hI (the hosts share a filesystem on loopback). */
  remoteDir: string;
  basefile: string;
  workflowText: string;
  branches: string[];
  exitPoint: string;
  slots: number;
  input: string;
  outFile: string;
}

export interface FloorOutput {
  results: Array<string | null>;
  latencyMs: number[];
  errors: string[];
}

type Cb<T> = (err: Error | null | undefined, value?: T) => void;
const p = <T>(fn: (cb: Cb<T>) => void) => new Promise<T>((res, rej) => fn((e, v) => (e ? rej(e) : res(v as T))));

function connect(port: number, config: FloorConfig, privateKey: Buffer): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const sock = tcp({ host: '127.0.0.1', port });
    sock.setNoDelay(true);
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({ sock, username: config.user, privateKey });
  });
}

/** Exec and wait for the exit status; a refused channel (MaxSessions) is retried, as any client must. */
function exec(client: Client, command: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const open = () =>
      client.exec(command, (err, stream) => {
        if (err) return /Channel open failure/.test(err.message) ? setTimeout(open, 5) : reject(err);
        let code: number | null = null;
        stream.on('data', () => {}).stderr.on('data', () => {});
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => resolve(code));
      });
    open();
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FloorConfig;
  const privateKey = readFileSync(config.keyPath);
  const out: FloorOutput = { results: config.branches.map(() => null), latencyMs: [], errors: [] };
  const clients = await Promise.all(config.ports.map((port) => connect(port, config, privateKey)));
  const hosts = await Promise.all(
    clients.map(async (client, h) => {
      const sftp = await p<SFTPWrapper>((cb) => client.sftp(cb));
      const dir = `${config.remoteDir}/h${h}`;
      await p<void>((cb) => sftp.mkdir(config.remoteDir, () => cb(null)));
      await p<void>((cb) => sftp.mkdir(dir, cb));
      await p<void>((cb) => sftp.fastPut(config.basefile, `${dir}/tea`, { concurrency: 64, chunkSize: 32768, mode: 0o700 }, cb));
      await p<void>((cb) => sftp.writeFile(`${dir}/workflow.yaml`, config.workflowText, cb));
      return { client, sftp, dir };
    }),
  );
  let next = 0;
  const worker = async (h: number) => {
    const { client, sftp, dir } = hosts[h]!;
    while (next < config.branches.length) {
      const i = next++;
      const b = config.branches[i]!;
      const d = `${dir}/${b}`;
      const started = process.hrtime.bigint();
      try {
        await p<void>((cb) => sftp.mkdir(d, cb));
        await p<void>((cb) => sftp.writeFile(`${d}/input.json`, config.input, cb));
        const code = await exec(client, `cd ${d} && ${dir}/tea run ${dir}/workflow.yaml --entry-point ${b} --exit-point ${config.exitPoint} --input input.json --output result.json`);
        if (code !== 0) throw new Error(`${b}: exit ${code}`);
        out.results[i] = (await p<Buffer>((cb) => sftp.readFile(`${d}/result.json`, cb))).toString('utf8');
      } catch (error) {
        out.errors.push(`${b}: ${(error as Error).message}`);
      }
      out.latencyMs[i] = Number(process.hrtime.bigint() - started) / 1e6;
    }
  };
  await Promise.all(hosts.flatMap((_, h) => Array.from({ length: config.slots }, () => worker(h))));
  clients.forEach((c) => c.end());
  writeFileSync(config.outFile, JSON.stringify(out));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
