import { closeSync, constants, existsSync, openSync, readFileSync, readSync, readdirSync, writeSync } from 'node:fs';
import { lstat, mkdir, open, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { TailBuffer } from '../../util/tail';
import { PROGRAM_SLOT, wrapProgram, type LoadedProgram } from '../../util/code-cache';
import { FLOW_MARK_NAME, BASEFILE_MISSING_STATUS } from '../command/reaper';
import { LineSplitter, encode, parseRequest, readyMarker, type DoneReply, type Request, type RunRequest, type RunnerResult } from './protocol';
import { StandbyPool, type Standby } from './standby-pool';

/**
 * The warm runner, on the host (`tea __runner`, started by warm-runner.ts over one exec
 * channel per connection; docs/decisions.md "Warm runner"). Requests arrive on fd 3 (the
 * channel's stdin), replies leave on fd 4 (its stdout); fds 0 and 1 are /dev/null and
 * stderr (runner-script.ts), so nothing a branch or its children read or print can touch
 * the protocol. Each branch runs in a worker_thread of its own running the basefile's
 * scoped `tea run`, as a process would: its own V8 isolate (realm, globals, module cache)
 * and its own `process.env` (the runner's, plus env_vars and its TEA_FLOW_MARK), thrown
 * away when the branch ends. A worker cannot change the process's working directory:
 * branches run in the runner's (the run directory), not in their flow directory.
 *
 * A cancel terminates the worker (a synchronous loop too) and ends every process carrying
 * the branch's mark (reaper.ts): TERM, then KILL after the grace period. When the channel
 * closes (client gone, connection lost) every branch is ended the same way and the runner
 * exits. A branch that crashes the process (abort, native fault) takes the runner with it:
 * the client fails that runner's branches as transport failures and retries them.
 *
 * Standbys (standby-pool.ts): as many workers as the client asks for (its estimate of the
 * branches still to come here, at most the host's slots) are started ahead, each with the
 * program compiled and its top level evaluated, waiting on a message for its one branch's
 * argv and environment. Each still serves exactly one branch and is thrown away after it.
 */

/** The most standbys a runner keeps, whatever the client asks (each holds a V8 isolate, ~10-20 MB). */
export const MAX_STANDBYS = 32;

interface Active {
  request: RunRequest;
  worker: Worker | null;
  cancelled: boolean;
  ended: Promise<void>;
}

export interface HostRunnerOptions {
  /** The basefile each worker runs. */
  tea: string;
  nonce: string;
  graceSeconds: number;
  /** The run directory: every flow directory (and so every mark) of this run is under it. */
  runDir?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/**
 * The fd the runner got from its script, reopened close-on-exec (Node opens every file with
 * O_CLOEXEC) through /proc, and the inherited one closed: a process a branch starts must not
 * hold the channel open once the runner is gone (a crash), or the client never learns of it.
 * Where /proc cannot reopen it (a socketpair, no /proc), the inherited fd is kept.
 */
function privateFd(fd: number, flags: number): number {
  try {
    const own = openSync(`/proc/self/fd/${fd}`, flags);
    closeSync(fd);
    return own;
  } catch {
    return fd;
  }
}

export async function runHostRunner(options: HostRunnerOptions): Promise<number> {
  const diagnostics = options.input === undefined ? privateFd(5, constants.O_WRONLY) : 2;
  const say = (text: string) => {
    try {
      writeSync(diagnostics, `tea-runner: ${text}\n`);
    } catch {
      /* the channel is gone */
    }
  };
  // A standalone binary (Node SEA) cannot load itself as a worker's script.
  if (options.tea === process.execPath) {
    say('a standalone binary basefile cannot run branches in worker threads');
    return 125;
  }
  const input = options.input ?? new Socket({ fd: privateFd(3, constants.O_RDONLY), readable: true, writable: false });
  const output = options.output ?? new Socket({ fd: privateFd(4, constants.O_WRONLY), readable: false, writable: true });
  const graceMs = options.graceSeconds * 1000;
  // A runner that crashed (its branches are being retried) left their processes behind: end them first.
  if (options.runDir !== undefined) await reapPrefix(`${options.runDir}/`, graceMs);
  // The runner itself carries no mark: a search for a branch's mark must never find it.
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== FLOW_MARK_NAME) baseEnv[k] = v;
  const active = new Map<number, Active>();
  let closing = false;
  // Standbys need the program in memory (dist/tea's loader); run from the sources, each branch starts its own worker.
  const pool = loadedProgram() === undefined ? null : new StandbyPool<BranchWorker>(() => {
    const standby = startWorker(options.tea, { argv: [], env: baseEnv }, true);
    void standby.exit.then(() => pool?.ended(standby));
    return standby;
  }, MAX_STANDBYS);

  const send = (reply: DoneReply) => {
    if (!closing) output.write(encode(reply));
  };

  const start = (request: RunRequest) => {
    if (active.has(request.id)) return;
    const entry: Active = { request, worker: null, cancelled: false, ended: Promise.resolve() };
    active.set(request.id, entry);
    // Taken now, in request order: a later lower target must not end the standby this branch is to get.
    const standby = pool?.take(request.standbys) ?? null;
    entry.ended = runOne(entry, options.tea, baseEnv, graceMs, standby)
      .catch((error: unknown): DoneReply => ({ t: 'done', id: request.id, code: 125, stderrTail: `tea-runner: ${String(error)}`, rss: 0 }))
      .then((reply) => {
        active.delete(request.id);
        send({ ...reply, ...(entry.cancelled ? { cancelled: true } : {}), rss: process.memoryUsage().rss, ...(pool === null ? {} : { idle: pool.idle }) });
      });
  };

  const cancel = (id: number) => {
    const entry = active.get(id);
    if (entry === undefined || entry.cancelled) return;
    entry.cancelled = true;
    void entry.worker?.terminate();
  };

  return await new Promise<number>((resolve) => {
    const shutdown = async () => {
      if (closing) return;
      closing = true;
      pool?.close();
      for (const id of active.keys()) cancel(id);
      await Promise.all([...active.values()].map((e) => e.ended));
      resolve(0);
    };
    const lines = new LineSplitter(Number.MAX_SAFE_INTEGER, (line) => {
      if (line === '' || closing) return;
      let request: Request;
      try {
        request = parseRequest(line);
      } catch (error) {
        say((error as Error).message);
        void shutdown();
        return;
      }
      if (request.t === 'run') start(request);
      else if (request.t === 'standby') pool?.setTarget(request.n);
      else cancel(request.id);
    });
    input.on('data', (chunk: Buffer) => lines.push(chunk));
    input.on('end', () => void shutdown());
    input.on('error', () => void shutdown());
    output.on('error', () => void shutdown());
    for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, () => void shutdown());
    output.write(readyMarker(options.nonce));
  });
}

/**
 * A worker compiles the program the runner holds (put there by dist/tea's loader) with the
 * code cache, shared read-only between workers: a worker started from the dist/tea file
 * would first parse the loader with its 1.8 MB string literal and read both files again
 * (58 against 72 ms of CPU per branch, bench/warm-candidates.mjs). Without a loaded program
 * (tests running the sources) the worker runs the file.
 */
const WORKER_LOADER = [
  "const { workerData, parentPort } = require('node:worker_threads');",
  "const { Script } = require('node:vm');",
  "const { createRequire } = require('node:module');",
  "const { dirname } = require('node:path');",
  "const { writeFileSync, renameSync, rmSync } = require('node:fs');",
  'const { source, cache, file, cachePath } = workerData;',
  'const script = new Script(source, { filename: file, lineOffset: -1, ...(cache ? { cachedData: Buffer.from(cache) } : {}) });',
  // No cache yet (or refused): this branch writes one once it ran, as the loader does for `tea run`.
  'if (cachePath && (!cache || script.cachedDataRejected)) process.once("exit", () => {',
  '  const temp = `${cachePath}.tmp-${process.pid}-${require("node:worker_threads").threadId}`;',
  '  try { writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: "wx" }); renameSync(temp, cachePath); } catch { rmSync(temp, { force: true }); }',
  '});',
  // A standby: the program's top level runs now; the CLI entry waits for this branch (src/cli/main.ts).
  'if (workerData.standby) Object.defineProperty(globalThis, Symbol.for("tea.standby"), { value: new Promise((resolve) => parentPort.once("message", (branch) => {',
  '  for (const name of Object.keys(process.env)) delete process.env[name];',
  '  Object.assign(process.env, branch.env);',
  '  process.argv.splice(2, process.argv.length - 2, ...branch.argv);',
  '  resolve();',
  '})) });',
  'const mod = { exports: {} };',
  'script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));',
].join('\n');

let shared: { source: string; cache: SharedArrayBuffer | null; cachePath: string | null } | null = null;

function loadedProgram(): LoadedProgram | undefined {
  return (globalThis as Record<symbol, LoadedProgram | undefined>)[PROGRAM_SLOT];
}

function workerSource(tea: string, standby: boolean): { source: string; options: { eval?: boolean; workerData?: unknown } } {
  const loaded = loadedProgram();
  if (loaded === undefined) return { source: tea, options: {} };
  if (shared === null || (shared.cache === null && shared.cachePath !== null)) {
    // Read once; until a `tea run` on the host wrote it, looked for again at the next branch.
    let cache: SharedArrayBuffer | null = null;
    try {
      const bytes = loaded.cachePath === null ? null : readFileSync(loaded.cachePath);
      if (bytes !== null) {
        cache = new SharedArrayBuffer(bytes.length);
        Buffer.from(cache).set(bytes);
      }
    } catch {
      cache = null;
    }
    shared = { source: shared?.source ?? wrapProgram(loaded.text), cache, cachePath: loaded.cachePath };
  }
  return { source: WORKER_LOADER, options: { eval: true, workerData: { source: shared.source, cache: shared.cache, file: tea, cachePath: shared.cachePath, standby } } };
}

/** A branch's worker, started for its branch or ahead as a standby (then `start` hands it the branch). */
interface BranchWorker extends Standby {
  readonly worker: Worker;
  /** The worker's stdout and stderr (as the wrapper does for a process, `>&2`: tea's stdout goes with its stderr). */
  readonly output: TailBuffer;
  /** Its exit code. */
  readonly exit: Promise<number>;
  start(branch: { argv: string[]; env: Record<string, string> }): void;
}

function startWorker(tea: string, branch: { argv: string[]; env: Record<string, string> }, standby: boolean): BranchWorker {
  const source = workerSource(tea, standby);
  const worker = new Worker(source.source, { ...source.options, argv: branch.argv, env: branch.env, stdin: false, stdout: true, stderr: true });
  const output = new TailBuffer();
  worker.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  worker.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  worker.on('error', (error) => output.push(Buffer.from(`\nError: ${error instanceof Error ? error.message : String(error)}\n`)));
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
  return {
    worker,
    output,
    exit,
    end: () => void worker.terminate(),
    start: (b) => worker.postMessage(b),
  };
}

async function runOne(entry: Active, tea: string, baseEnv: Record<string, string>, graceMs: number, standby: BranchWorker | null): Promise<Omit<DoneReply, 'rss'>> {
  // Whatever way this branch ends before its worker runs, its standby goes too.
  const ran = await runBranch(entry, tea, baseEnv, graceMs, standby);
  if (!ran.used) standby?.end();
  return ran.reply;
}

async function runBranch(entry: Active, tea: string, baseEnv: Record<string, string>, graceMs: number, standby: BranchWorker | null): Promise<{ reply: Omit<DoneReply, 'rss'>; used: boolean }> {
  const { request } = entry;
  const id = request.id;
  const dir = request.flowDir;
  try {
    await mkdir(dir, { mode: 0o700 });
    await writeFile(`${dir}/input.json`, Buffer.from(request.input, 'base64'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (request.cleanup) await rm(dir, { recursive: true, force: true });
    return { used: false, reply: { t: 'done', id, code: 125, stderrTail: `tea-wrapper: cannot create the flow directory or its input: ${(error as Error).message}` } };
  }
  // A tmp cleaner took the basefile: the client stages again (as the wrapper's exit 86 says).
  if (!existsSync(tea)) {
    await rm(dir, { recursive: true, force: true });
    return { used: false, reply: { t: 'done', id, code: BASEFILE_MISSING_STATUS, stderrTail: `tea: the basefile ${tea} is missing` } };
  }
  const mark = `${dir}/`;
  let stderr = new TailBuffer();
  let onStandby = false;
  let code: number;
  if (entry.cancelled) code = 143;
  else {
    const branch = { argv: request.argv, env: { ...baseEnv, ...request.env, TEA_REMOTE_BRANCH: '1', [FLOW_MARK_NAME]: mark } };
    const worker = standby ?? startWorker(tea, branch, false);
    if (standby !== null) {
      standby.start(branch);
      onStandby = true;
    }
    entry.worker = worker.worker;
    stderr = worker.output;
    const exitCode = await worker.exit;
    code = entry.cancelled ? 143 : exitCode;
    entry.worker = null;
  }
  let result: RunnerResult | undefined;
  if (code === 0) result = await readResult(`${dir}/result.json`, request.maxResultBytes);
  // Processes the branch started and left behind (or all of them, when cancelled).
  await reap(mark, entry.cancelled ? graceMs : 1000);
  if (request.cleanup || entry.cancelled) await rm(dir, { recursive: true, force: true });
  return { used: onStandby, reply: { t: 'done', id, code, stderrTail: stderr.text(), ...(result === undefined ? {} : { result }), ...(onStandby ? { standby: true } : {}) } };
}

/** result.json as the wrapper returns it: only a regular file within the bound is read. */
async function readResult(path: string, maxBytes: number): Promise<RunnerResult> {
  let size: number;
  try {
    const info = await lstat(path);
    if (!info.isFile()) return { kind: 'invalid' };
    size = info.size;
  } catch {
    return { kind: 'missing' };
  }
  if (size > maxBytes) return { kind: 'too-large', size };
  const file = await open(path, 'r');
  try {
    const data = Buffer.alloc(size);
    const { bytesRead } = await file.read(data, 0, size, 0);
    return { kind: 'ok', data: data.subarray(0, bytesRead).toString('base64') };
  } finally {
    await file.close();
  }
}

/**
 * The pids (of this user) whose environment holds `TEA_FLOW_MARK=<mark>`, or with `prefix`
 * a mark starting with it (every flow of a run directory). Read synchronously: about 1 ms
 * for a hundred processes, where as many promises cost ten times that in CPU (measured).
 */
function marked(mark: string, prefix = false): number[] {
  const needle = Buffer.from(`${FLOW_MARK_NAME}=${mark}${prefix ? '' : '\0'}`);
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return []; // no /proc (BSD, macOS): not caught, as in the process runner
  }
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const env = readEnviron(`/proc/${name}/environ`);
    if (env === null) continue;
    const at = env.indexOf(needle);
    if (at === 0 || (at > 0 && env[at - 1] === 0)) found.push(Number(name));
  }
  return found;
}

const chunk = Buffer.alloc(64 * 1024);

/** A process's environment block; null when it is gone or another user's. */
function readEnviron(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const parts: Buffer[] = [];
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      parts.push(Buffer.from(chunk.subarray(0, n)));
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** TERM every process with the mark, KILL what is left after `graceMs`. */
async function reap(mark: string, graceMs: number, prefix = false): Promise<void> {
  let pids = marked(mark, prefix);
  if (pids.length === 0) return;
  const signal = (sig: NodeJS.Signals) => pids.forEach((p) => { try { process.kill(p, sig); } catch { /* gone */ } });
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    pids = marked(mark, prefix);
    if (pids.length === 0) return;
  }
  signal('SIGKILL');
}

function reapPrefix(prefix: string, graceMs: number): Promise<void> {
  return reap(prefix, graceMs, true);
}
