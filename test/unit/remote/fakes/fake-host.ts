/**
 * A fake transport for unit tests of the session, staging and executor: a
 * HostConnection-shaped object over an in-memory SFTP and scripted execs. Every
 * operation honours its AbortSignal like the real one (raceAbort), and a test can
 * hold an operation at a gate to see who waits for whom. Real SSH behaviour is
 * proven by the integration suites against OpenSSH; this only fakes the wire.
 */
import { EventEmitter } from 'node:events';
import type { ExecResult } from '../../../../src/remote/ssh/connection';
import { sftpOps, type SftpOps } from '../../../../src/remote/ssh/sftp-ops';
import { raceAbort } from '../../../../src/util/abort';

type Cb<T = void> = (error: Error | undefined, value?: T) => void;

export class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));
  open(): void {
    this.#open();
  }
}

/** In-memory SFTP with ssh2's callback API (the calls sftp-ops.ts makes). */
export class FakeSftp extends EventEmitter {
  readonly files = new Map<string, Buffer>();
  readonly dirs = new Set<string>(['/home/u']);
  /** fastPut waits for this gate when set (an upload in flight). */
  uploadGate: Gate | null = null;
  uploads = 0;

  mkdir(path: string, _o: unknown, cb: Cb): void {
    const p = this.#abs(path);
    if (this.dirs.has(p)) return cb(Object.assign(new Error('exists'), { code: 4 }));
    this.dirs.add(p);
    cb(undefined);
  }
  realpath(path: string, cb: Cb<string>): void {
    cb(undefined, this.#abs(path));
  }
  /** Everything belongs to the login user (uid 1000), directories 0700, files 0600. */
  stat(path: string, cb: Cb<FakeStats>): void {
    const p = this.#abs(path);
    if (this.dirs.has(p)) return cb(undefined, fakeStats(0o040700, 0));
    const file = this.files.get(p);
    if (file === undefined) return cb(Object.assign(new Error('No such file'), { code: 2 }));
    cb(undefined, fakeStats(0o100600, file.length));
  }
  lstat(path: string, cb: Cb<FakeStats>): void {
    this.stat(path, cb);
  }
  fastPut(_local: string, remote: string, _o: unknown, cb: Cb): void {
    this.uploads += 1;
    const done = () => {
      this.files.set(this.#abs(remote), Buffer.alloc(FAKE_BASEFILE_SIZE));
      cb(undefined);
    };
    if (this.uploadGate === null) done();
    else void this.uploadGate.opened.then(done);
  }
  ext_openssh_rename(from: string, to: string, cb: Cb): void {
    const data = this.files.get(this.#abs(from));
    if (data === undefined) return cb(Object.assign(new Error('No such file'), { code: 2 }));
    this.files.delete(this.#abs(from));
    this.files.set(this.#abs(to), data);
    cb(undefined);
  }
  writeFile(path: string, data: string | Buffer, _o: unknown, cb: Cb): void {
    this.files.set(this.#abs(path), Buffer.from(data));
    cb(undefined);
  }
  readFile(path: string, cb: Cb<Buffer>): void {
    const data = this.files.get(this.#abs(path));
    if (data === undefined) return cb(Object.assign(new Error('No such file'), { code: 2 }));
    cb(undefined, data);
  }
  unlink(path: string, cb: Cb): void {
    this.files.delete(this.#abs(path));
    cb(undefined);
  }
  rmdir(path: string, cb: Cb): void {
    this.dirs.delete(this.#abs(path));
    cb(undefined);
  }
  #abs(path: string): string {
    return path.startsWith('/') ? path : `/home/u/${path}`;
  }
}

export const FAKE_BASEFILE_SIZE = 1234;
export const FAKE_LOGIN_UID = 1000;

interface FakeStats {
  mode: number;
  uid: number;
  size: number;
  isDirectory: () => boolean;
  isSymbolicLink: () => boolean;
}
const fakeStats = (mode: number, size: number): FakeStats => ({
  mode,
  uid: FAKE_LOGIN_UID,
  size,
  isDirectory: () => (mode & 0o170000) === 0o040000,
  isSymbolicLink: () => false,
});

export interface ExecCall {
  command: string;
  /** What the remote sh evaluates: the program line on stdin after the bootstrap (else the command). */
  script: string;
  signal: AbortSignal;
  env?: Readonly<Record<string, string>>;
}

/** A HostConnection-shaped fake: `exec` answers through `onExec` (default: exit 0). */
export class FakeConnection {
  readonly spec = { id: 'u@h:22', host: 'h', port: 22, connectTimeoutSeconds: 5 };
  readonly sftpChannel = new FakeSftp();
  readonly execs: ExecCall[] = [];
  closed = false;
  onExec: (call: ExecCall) => Promise<ExecResult> = async () => ({ code: 0, signal: null, stderrTail: '' });

  /** The SFTP channel as HostConnection.sftpLease hands it out: every call raced against `signal`. */
  async sftpLease(signal?: AbortSignal): Promise<{ ops: SftpOps; release: () => void }> {
    signal?.throwIfAborted();
    const raw = sftpOps(this.sftpChannel as never);
    const ops = Object.fromEntries(
      Object.entries(raw).map(([name, call]) => [name, (...args: unknown[]) => raceAbort((call as (...a: unknown[]) => Promise<unknown>)(...args), signal)]),
    ) as SftpOps;
    return { ops, release: () => {} };
  }

  exec(command: string, signal: AbortSignal, options: { env?: Readonly<Record<string, string>>; stdin?: unknown } = {}): Promise<ExecResult> {
    const line = Buffer.isBuffer(options.stdin) ? options.stdin.toString('utf8').split('\n')[0]! : command;
    const call: ExecCall = { command, script: line, signal, ...(options.env === undefined ? {} : { env: options.env }) };
    this.execs.push(call);
    return raceAbort(this.onExec(call), signal);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
