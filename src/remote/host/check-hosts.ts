import { TeaError, errorMessage } from '../../errors';
import { ignoreEvents } from '../../events';
import { silentLogger, type Logger } from '../../log';
import { VERSION } from '../../version';
import type { Workflow } from '../../workflow/types';
import { BasefileCatalog } from './basefile';
import { selectEnv } from '../command/env-vars';
import { resolveHosts } from '../trust/hosts';
import { ConnectionPool } from '../ssh/pool';
import type { LeftoverMode } from './leftovers';
import { PROBE_BUDGET_SECONDS, preflight, type PreflightReport } from './preflight';

export interface CheckHostsOptions {
  signal?: AbortSignal;
  logger?: Logger;
  /**
   * Env var names that must pass each host's AcceptEnv. Default: the names a run would send
   * (env_vars mode ssh_env, set in this environment), as the run's own preflight checks.
   */
  acceptEnv?: readonly string[];
  /** Earlier runs' leftovers (leftovers.ts): listed by default; `tea hosts clean` removes them. */
  leftovers?: LeftoverMode;
}

/**
 * The preflight of every host of a workflow's settings.parallel.remote, as a run does
 * it (`tea hosts check`): one report per host, in config order. Nothing is uploaded.
 */
export async function checkHosts(workflow: Workflow, options: CheckHostsOptions = {}): Promise<PreflightReport[]> {
  const remote = workflow.parallel.remote;
  if (remote === undefined) throw new TeaError('E_CONFIG_INVALID', 'settings.parallel.remote: not set: the workflow has no hosts to check');
  const logger = options.logger ?? silentLogger;
  const hosts = resolveHosts(remote, { warn: (message) => logger.warn(message) });
  const catalog = BasefileCatalog.forConfig(remote.basefile);
  const selection = selectEnv(remote.env_vars, process.env);
  const acceptEnv = options.acceptEnv ?? (selection.mode === 'ssh_env' ? Object.keys(selection.values) : []);
  const pool = new ConnectionPool(hosts, remote, logger, ignoreEvents);
  // One controller: Ctrl-C or the time budget ends every host's check.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const budget = Math.max(...hosts.map((h) => h.connectTimeoutSeconds)) + PROBE_BUDGET_SECONDS;
  const timer = setTimeout(() => controller.abort(new TeaError('E_TIMEOUT', `hosts check did not finish within ${budget}s`)), budget * 1000);
  try {
    return await Promise.all(
      hosts.map((h) =>
        preflight(pool.get(h.id), {
          remote,
          catalog,
          workflowBytes: Buffer.byteLength(workflow.branchText),
          localVersion: VERSION,
          acceptEnv,
          leftovers: options.leftovers ?? 'list',
          signal: controller.signal,
        }).catch((error: unknown): PreflightReport => {
          if (!controller.signal.aborted || options.signal?.aborted) throw error;
          // Our time budget ran out: this host hangs somewhere (handshake, probe).
          return { host: h.id, address: `${h.host}:${h.port}`, status: 'unusable', reason: errorMessage(error), checks: [] };
        }),
      ),
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await pool.close();
  }
}
