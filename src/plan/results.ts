import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TeaError, errorMessage, type ErrorCode } from '../errors';
import { parseBranchResult } from '../core/branch-result';
import { exitError, lastLine, signalName, teaErrorLine } from '../core/exit-status';
import type { Attempt, Flow, ParallelFlowResult, State } from '../executors/types';
import { toParallelResult, type AttemptRecord } from '../core/outcome';
import type { JoblogEntry } from './joblog';
import { flowOutput, flowResult } from './layout';
import { joblogHostKey, type PlanHost } from './ssh-login';

export interface CollectOptions {
  /** The staging directory the plan ran in. */
  dir: string;
  flows: readonly Flow[];
  hosts: readonly PlanHost[];
  entries: ReadonlyMap<number, JoblogEntry>;
  timeoutSeconds?: number;
  /** The run was aborted (cancel): what did not finish is E_CANCELLED. */
  cancelled: boolean;
  failFast: boolean;
  /** How GNU Parallel itself ended, for branches it never ran. */
  parallelExit: { code: number | null; stderrTail: string };
}

const STDERR_TAIL = 4096;

/**
 * One ParallelFlowResult per flow, in order, from the joblog and the files GNU
 * Parallel brought back: success needs Exitval 0, Signal 0 and a JSON object in
 * flows/<i>/result.json. Failures get the code the ssh2 path would give where the
 * joblog can tell (exit 255 = ssh failed; -1 = killed by GNU Parallel: timeout or
 * cancel; >128 = the remote tea died of a signal). The joblog holds only a job's
 * last try, so retry_count is 0 and `attempts` has that one try.
 */
export async function collectResults(options: CollectOptions): Promise<ParallelFlowResult[]> {
  const hostIds = new Map(options.hosts.map((h) => [joblogHostKey(h), h.id]));
  const firstFailed = options.flows.find((_, i) => {
    const entry = options.entries.get(i + 1);
    return entry !== undefined && (entry.exitval !== 0 || entry.signal !== 0);
  })?.entryPoint;
  const results: ParallelFlowResult[] = [];
  for (const [i, flow] of options.flows.entries()) {
    const entry = options.entries.get(i + 1);
    if (entry === undefined) {
      results.push(toParallelResult({ flow, ok: false, error: notRun(flow, options, firstFailed), code: notRunCode(options, firstFailed), attempts: [], timingMs: 0 }));
      continue;
    }
    const host = hostIds.get(entry.host.slice(entry.host.lastIndexOf(' ') + 1)) ?? entry.host;
    const attempt = (error?: TeaError): AttemptRecord => ({
      host,
      startedAt: entry.startTime * 1000,
      durationMs: Math.round(entry.runtimeSeconds * 1000),
      ...(error === undefined ? {} : { failure: { code: error.code, error } }),
    });
    const timing = Math.round(entry.runtimeSeconds * 1000);
    try {
      const state = await branchState(flow, entry, host, options);
      results.push(toParallelResult({ flow, ok: true, state, attempts: [attempt()], timingMs: timing, host }));
    } catch (error) {
      const tea = error instanceof TeaError ? error : new TeaError('E_BRANCH_FAILED', errorMessage(error), { host, flow: flow.entryPoint, cause: error });
      results.push(toParallelResult({ flow, ok: false, error: tea, code: tea.code, attempts: [attempt(tea)], timingMs: timing, host }));
    }
  }
  return results;
}

async function branchState(flow: Flow, entry: JoblogEntry, host: string, options: CollectOptions): Promise<State> {
  const where = `branch "${flow.entryPoint}" on ${host}`;
  const i = entry.seq - 1;
  if (entry.exitval !== 0 || entry.signal !== 0) {
    const stderrTail = await readStderr(options.dir, i);
    const context = { host, flow: flow.entryPoint, stderrTail, exitCode: entry.exitval === -1 ? null : entry.exitval };
    const [code, message] = failure(entry, where, stderrTail, options);
    throw new TeaError(code, `${message} [GNU Parallel job ${entry.seq}]`, { ...context, ...(entry.signal === 0 ? {} : { signal: signalName(entry.signal) }) });
  }
  const file = path.join(options.dir, flowResult(i));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const stderrTail = await readStderr(options.dir, i);
    throw new TeaError('E_RESULT_MISSING', `${where}: exited 0 but its result did not come back to ${file}: ${lastLine(stderrTail) || errorMessage(error)}`, { host, flow: flow.entryPoint, stderrTail, cause: error });
  }
  return parseBranchResult(text, { where, flow: flow.entryPoint, host });
}

function failure(entry: JoblogEntry, where: string, stderrTail: string, options: CollectOptions): [ErrorCode, string] {
  const last = teaErrorLine(stderrTail) ?? lastLine(stderrTail);
  const said = last === '' ? '' : `: ${last}`;
  if (entry.exitval === -1) {
    if (options.cancelled) return ['E_CANCELLED', `${where}: run cancelled before this branch finished`];
    if (options.timeoutSeconds !== undefined) return ['E_TIMEOUT', `${where}: timed out after ${options.timeoutSeconds}s (GNU Parallel --timeout): raise settings.parallel.timeout_seconds if it needs longer, or find why it hangs`];
    return ['E_CANCELLED', `${where}: stopped by GNU Parallel (signal ${signalName(entry.signal)})`];
  }
  if (entry.exitval === 255) return ['E_CONNECT_FAILED', `${where}: ssh failed (exit 255)${said}`];
  // The rest as every executor reads an exit (GNU Parallel's remote wrapper exits 128+N for signal N).
  const error = exitError(
    { code: entry.exitval, signal: entry.signal === 0 ? null : signalName(entry.signal), stderrTail },
    { where, flow: where, runner: 'remote' },
  );
  return [error.code, error.message];
}

function notRunCode(options: CollectOptions, firstFailed: string | undefined): ErrorCode {
  return options.cancelled || (options.failFast && firstFailed !== undefined) ? 'E_CANCELLED' : 'E_GNU_PARALLEL_FAILED';
}

function notRun(flow: Flow, options: CollectOptions, firstFailed: string | undefined): TeaError {
  const where = `branch "${flow.entryPoint}"`;
  if (options.cancelled) return new TeaError('E_CANCELLED', `${where}: run cancelled before this branch finished`, { flow: flow.entryPoint });
  if (options.failFast && firstFailed !== undefined) {
    return new TeaError('E_CANCELLED', `${where}: not started: fail_fast after branch "${firstFailed}" failed`, { flow: flow.entryPoint });
  }
  const { code, stderrTail } = options.parallelExit;
  const why = lastLine(stderrTail.split('\n').filter((l) => l.startsWith('parallel:')).join('\n')) || lastLine(stderrTail) || 'no message';
  return new TeaError('E_GNU_PARALLEL_FAILED', `${where}: GNU Parallel (exit ${code ?? 'by signal'}) never ran it: ${why}`, { flow: flow.entryPoint, stderrTail });
}

/** The job's stderr as GNU Parallel saved it, without the lines of its own rsync (a missing result.json on failure). */
async function readStderr(dir: string, i: number): Promise<string> {
  const text = await readFile(path.join(dir, `${flowOutput(i)}.err`), 'utf8').catch(() => '');
  const kept = text
    .split('\n')
    .filter((l) => !/^rsync( error)?: /.test(l) && !l.startsWith('rsync: [sender]'))
    .join('\n')
    .trim();
  return kept.slice(-STDERR_TAIL);
}
