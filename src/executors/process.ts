import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../config/format-issues';
import { TeaError } from '../errors';
import type { AttemptContext } from '../scheduler/types';
import { exitError } from '../core/exit-status';
import { parseBranchResult } from '../core/branch-result';
import { withOrigin } from '../workflow/branch-form';
import { runChild } from './child';
import type { ExecutorContext } from './context';
import { LocalFlows } from './local';
import { selfCliPath } from './self-path';
import type { ParallelExecutor, State } from './types';

export const processOptionsSchema = z.strictObject({
  /** The tea CLI each branch runs as; default: this tea's own single-file artifact. */
  cliPath: z.string().min(1).optional(),
  /** Milliseconds between SIGTERM and SIGKILL when an attempt is aborted. */
  killGraceMs: z.number().int().min(0).default(2000),
  /** Environment of the children; default: this process's. */
  env: z.record(z.string(), z.string()).optional(),
});
export type ProcessExecutorOptions = z.input<typeof processOptionsSchema>;

/**
 * The `process` strategy: each branch is a child `tea run <workflow> --entry-point B
 * --exit-point F --input in.json --output out.json`, the same contract a remote host
 * gets, exercised locally. The state travels as JSON files in a per-attempt temp dir.
 */
export function createProcessExecutor(context: ExecutorContext, options: ProcessExecutorOptions = {}): ParallelExecutor {
  const parsed = processOptionsSchema.safeParse(options);
  if (!parsed.success) throw new TeaError('E_CONFIG_INVALID', formatIssues('process executor options', parsed.error));
  const { killGraceMs, env } = parsed.data;
  const cliPath = path.resolve(parsed.data.cliPath ?? selfCliPath());
  // The standalone binary (dist/tea-<platform>-<arch>) is its own CLI: it runs its embedded
  // script whatever its arguments, so it is spawned directly, not as `node <cli>`.
  const [command, ...launch] = cliPath === process.execPath ? [cliPath] : [process.execPath, cliPath];
  const workflow = new WorkflowFile(context);
  let cliChecked: Promise<void> | undefined;

  const attempt = async ({ flow, branch, signal, attempt: n }: AttemptContext): Promise<State> => {
    await (cliChecked ??= checkCli(cliPath));
    const workflowPath = await workflow.path();
    signal.throwIfAborted();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tea-branch-'));
    try {
      const input = path.join(dir, 'in.json');
      const output = path.join(dir, 'out.json');
      await writeFile(input, JSON.stringify(flow.state));
      const args = [...launch, 'run', workflowPath, '--entry-point', flow.entryPoint, '--exit-point', flow.exitPoint, '--input', input, '--output', output];
      const exit = await runChild(command, args, {
        signal,
        killGraceMs,
        logger: context.logger,
        label: `branch ${branch} (attempt ${n})`,
        ...(env ? { env } : {}),
      });
      signal.throwIfAborted();
      if (exit.code !== 0) throw exitError(exit, { flow: branch, runner: 'local' });
      return await readState(output, branch);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  const local = new LocalFlows(context, attempt);
  return {
    name: 'process',
    execute: (flows, config, signal) => local.run(flows, config, signal),
    close: async () => {
      local.close();
      await workflow.remove();
    },
  };
}

/**
 * The workflow file children run: the branch form written to a temp file once (naming the
 * original file, so `require` in nodes resolves beside it), or the original file when the
 * workflow travels as its YAML.
 */
class WorkflowFile {
  #written: Promise<string> | undefined;
  #dir: string | undefined;

  constructor(private readonly context: ExecutorContext) {}

  path(): Promise<string> {
    const original = this.context.workflowPath === undefined ? undefined : path.resolve(this.context.workflowPath);
    const text = original === undefined ? this.context.workflowText : withOrigin(this.context.workflowText, original);
    if (text === undefined) return Promise.resolve(original!);
    return (this.#written ??= (async () => {
      this.#dir = await mkdtemp(path.join(os.tmpdir(), 'tea-workflow-'));
      const file = path.join(this.#dir, 'workflow.yaml');
      await writeFile(file, text);
      return file;
    })());
  }

  async remove(): Promise<void> {
    await this.#written?.catch(() => undefined);
    if (this.#dir !== undefined) await rm(this.#dir, { recursive: true, force: true });
    this.#written = undefined;
    this.#dir = undefined;
  }
}

async function checkCli(cliPath: string): Promise<void> {
  try {
    await access(cliPath);
  } catch (error) {
    // E_HOST_UNUSABLE: no branch can run locally, so the scheduler stops at once instead of retrying each.
    throw new TeaError('E_HOST_UNUSABLE', `tea CLI not found at ${cliPath} (run "npm run build", or set the executor's cliPath)`, { cause: error });
  }
}

async function readState(file: string, branch: string): Promise<State> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TeaError('E_RESULT_MISSING', `branch "${branch}": tea run exited 0 but wrote no output`, { flow: branch, cause: error });
  }
  return parseBranchResult(text, { where: `branch "${branch}"`, flow: branch, file: 'output' });
}
