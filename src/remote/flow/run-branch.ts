import { TeaError, errorMessage } from '../../errors';
import type { State } from '../../executors/types';
import type { HostConnection } from '../ssh/connection';
import { buildFlowRequest, printableRunCommand, type RunCommandSpec } from '../command/remote-command';
import { ResultFrameReader, type ResultFrame } from '../command/result-frame';
import type { FlowEnv } from '../host/env-transfer';

export interface BranchRun extends RunCommandSpec {
  host: string;
  /** The flow's name in messages: its entry point. */
  flow: string;
  state: State;
  maxResultBytes: number;
  cleanup: boolean;
  env: FlowEnv;
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
  if (result.code !== 0) throw remoteExitError(where, printableRunCommand(run), result, run.host, run.flow);
  return parseResult(reader.finish(), where, `${run.flowDir}/result.json`, run);
}

function parseResult(frame: ResultFrame, where: string, path: string, run: BranchRun): State {
  const at = { host: run.host, flow: run.flow };
  switch (frame.kind) {
    case 'missing':
      throw new TeaError('E_RESULT_MISSING', `${where}: exited 0 but wrote no ${path}`, at);
    case 'invalid':
      throw new TeaError('E_RESULT_INVALID', `${where}: ${path} is not a regular file (a symlink, FIFO, device or directory): not read`, at);
    case 'too-large':
      throw new TeaError('E_RESULT_INVALID', `${where}: ${path} has ${frame.size} bytes, more than max_result_bytes (${run.maxResultBytes}): not read; raise settings.parallel.remote.max_result_bytes if the state is meant to be this large`, at);
    case 'broken':
      throw new TeaError('E_RESULT_MISSING', `${where}: exited 0 but its result did not arrive: ${frame.reason}`, at);
    case 'ok':
      break;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame.data.toString('utf8'));
  } catch (error) {
    throw new TeaError('E_RESULT_INVALID', `${where}: result.json is not valid JSON (${errorMessage(error)})`, { ...at, cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TeaError('E_RESULT_INVALID', `${where}: result.json must hold a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`, at);
  }
  return parsed as State;
}

function remoteExitError(where: string, command: string, result: { code: number | null; signal: string | null; stderrTail: string }, host: string, flow: string): TeaError {
  const lastLine = result.stderrTail.split('\n').filter(Boolean).at(-1) ?? '';
  let message: string;
  if (result.code === 127 || result.code === 126) {
    message = `${where}: the tea basefile could not start (exit ${result.code}): is Node >= 18 on the host's PATH, or use a standalone binary basefile. ${lastLine}`;
  } else if (result.code === null) {
    message = `${where}: remote tea run ended by signal ${result.signal ?? 'unknown'}. ${lastLine}`;
  } else {
    message = `${where}: failed (exit ${result.code}): ${lastLine || 'no stderr'}`;
  }
  return new TeaError('E_REMOTE_EXIT', `${message.trim()} [${command}]`, { host, flow, exitCode: result.code, signal: result.signal, stderrTail: result.stderrTail });
}
