import { TeaError } from '../../errors';
import { exitError } from '../../core/exit-status';
import { parseBranchResult } from '../../core/branch-result';
import type { State } from '../../executors/types';
import type { HostConnection } from '../ssh/connection';
import { BASEFILE_MISSING_STATUS, buildFlowRequest, printableRunCommand, runArgv, type RunCommandSpec } from '../command/remote-command';
import { ResultFrameReader, type ResultFrame } from '../command/result-frame';
import type { FlowEnv } from '../host/env-transfer';
import { RunnerBasefileMissing, type WarmRunner } from '../runner/warm-runner';

/** The cached basefile is gone (a tmp cleaner): the caller stages again and reruns the attempt. */
export class BasefileMissing extends Error {}

/** The wrapper's status when it fails before tea starts (RUN_SCRIPT). */
const WRAPPER_FAILED = 125;

export interface BranchRun extends RunCommandSpec {
  host: string;
  /** The flow's name in messages: its entry point. */
  flow: string;
  state: State;
  maxResultBytes: number;
  cleanup: boolean;
  env: FlowEnv;
  /** Debug log (--verbose): the remote command of a failed branch. */
  debug: (message: string) => void;
}

/**
 * One branch attempt on its host in ONE exec channel (open + exec request, then the input
 * and the result ride on that channel): the wrapper creates the flow directory, takes the
 * input and the variables from stdin, runs tea under its watchdog, returns result.json
 * framed on stdout and removes the directory. No SFTP request is on a branch's path.
 */
export async function runBranch(connection: HostConnection, run: BranchRun, signal: AbortSignal): Promise<State> {
  const where = `branch "${run.flow}" on ${run.host}`;
  const request = buildFlowRequest({ ...run, input: Buffer.from(JSON.stringify(run.state), 'utf8'), ...(run.env.exports === undefined ? {} : { exports: run.env.exports }) });
  const reader = new ResultFrameReader(request.nonce, run.maxResultBytes);
  const result = await connection.exec(request.command, signal, {
    stdin: request.stdin,
    // The watchdog reads the end of stdin as "the channel closed": end the branch.
    keepStdinOpen: true,
    onStdout: (chunk) => reader.push(chunk),
    ...(run.env.execEnv === undefined ? {} : { env: run.env.execEnv }),
  });
  if (result.code === BASEFILE_MISSING_STATUS) throw new BasefileMissing(`${where}: the basefile ${run.tea} is missing`);
  const wrapper = result.code === WRAPPER_FAILED ? /^tea-wrapper: (.*)$/m.exec(result.stderrTail) : null;
  if (wrapper !== null) {
    throw new TeaError('E_STAGING_FAILED', `${where}: cannot write its input under ${run.flowDir}: ${wrapper[1]}`, { host: run.host, flow: run.flow, stderrTail: result.stderrTail });
  }
  if (result.code !== 0) {
    // The command line is for debugging (--verbose), not for the one-line error.
    run.debug(`${where}: remote command: ${printableRunCommand(run)}`);
    throw exitError(result, { where, flow: run.flow, host: run.host, runner: 'remote' });
  }
  return parseResult(reader.finish(), where, `${run.flowDir}/result.json`, run);
}

/**
 * The same branch attempt on the host's warm runner (settings.parallel.remote.runner: warm):
 * one request line on the runner's channel instead of an exec, the same scoped run in a
 * worker_thread instead of a process, and the same exit statuses, result checks and errors.
 */
export async function runBranchWarm(runner: WarmRunner, run: BranchRun, signal: AbortSignal): Promise<State> {
  const where = `branch "${run.flow}" on ${run.host}`;
  let reply;
  try {
    reply = await runner.run({
      argv: runArgv(run).slice(1),
      flowDir: run.flowDir,
      input: Buffer.from(JSON.stringify(run.state), 'utf8').toString('base64'),
      env: { ...(run.env.exports ?? {}) },
      maxResultBytes: run.maxResultBytes,
      cleanup: run.cleanup,
    }, signal);
  } catch (error) {
    if (error instanceof RunnerBasefileMissing) throw new BasefileMissing(`${where}: the basefile ${run.tea} is missing`);
    throw error;
  }
  const exit = { code: reply.code, signal: null, stderrTail: reply.stderrTail };
  if (reply.code === BASEFILE_MISSING_STATUS) throw new BasefileMissing(`${where}: the basefile ${run.tea} is missing`);
  const wrapper = reply.code === WRAPPER_FAILED ? /^tea-(?:wrapper|runner): (.*)$/m.exec(reply.stderrTail) : null;
  if (wrapper !== null) {
    throw new TeaError('E_STAGING_FAILED', `${where}: cannot write its input under ${run.flowDir}: ${wrapper[1]}`, { host: run.host, flow: run.flow, stderrTail: reply.stderrTail });
  }
  if (reply.code !== 0) {
    run.debug(`${where}: scoped run on the warm runner: ${printableRunCommand(run)}`);
    throw exitError(exit, { where, flow: run.flow, host: run.host, runner: 'remote' });
  }
  const result = reply.result ?? { kind: 'missing' as const };
  const frame: ResultFrame = result.kind === 'ok' ? { kind: 'ok', data: Buffer.from(result.data, 'base64') } : result;
  return parseResult(frame, where, `${run.flowDir}/result.json`, run);
}

function parseResult(frame: ResultFrame, where: string, path: string, run: BranchRun): State {
  const at = { host: run.host, flow: run.flow };
  switch (frame.kind) {
    case 'missing':
      throw new TeaError('E_RESULT_MISSING', `${where}: exited 0 but wrote no ${path}`, at);
    case 'invalid':
      throw new TeaError('E_RESULT_INVALID', `${where}: ${path} is not a regular file (a symlink, FIFO, device or directory): not read`, at);
    case 'too-large':
      throw new TeaError('E_RESULT_INVALID', `${where}: ${path} has ${frame.size === undefined ? 'more than' : `${frame.size} bytes, more than`} max_result_bytes (${run.maxResultBytes}${frame.size === undefined ? ' bytes' : ''}): not read; raise settings.parallel.remote.max_result_bytes if the state is meant to be this large`, at);
    case 'broken':
      throw new TeaError('E_RESULT_MISSING', `${where}: exited 0 but its result did not arrive: ${frame.reason}`, at);
    case 'ok':
      break;
  }
  return parseBranchResult(frame.data.toString('utf8'), { where, ...at });
}
