import { readRegularFileSync } from '../../util/regular-file';
import type { RemoteConfig } from '../../config/remote';
import { TeaError, errorMessage, isTeaError } from '../../errors';
import { describeBasefile, formatBytes, type Basefile, type BasefileCatalog } from './basefile';
import { chooseBasefile } from './basefile-choice';
import type { HostConnection, SftpLease } from '../ssh/connection';
import { buildProbeRequest, ENV_NAME, parseProbeOutput, type CachedFact, type HostFacts } from './host-probe';
import { expandHome } from '../../util/paths';
import { knownKeyTypes, lookupName, parseKnownHosts } from '../trust/known-hosts';
import { basefilePath, cacheDirOf, hostSlug, sftpPath } from './layout';
import { describeLeftovers, type Leftover, type LeftoverMode } from './leftovers';
import { BOOTSTRAP_COMMAND } from '../command/bootstrap';
import { describeUntrusted } from './workdir-trust';
import { decideTransfer, probeSftp, type SftpProbe, type TransferChoice } from '../transfer/transfer-choice';

/** Seconds a preflight may take after the handshake (its probe runs `tea --version` of a cached basefile). */
export const PROBE_BUDGET_SECONDS = 60;

/** Room kept free beyond the basefile and the workflow, for flows' input.json / result.json. */
export const SPACE_MARGIN_BYTES = 64 * 1024;

export type CheckName = 'reachable' | 'host_key' | 'authenticated' | 'login_shell' | 'probe' | 'basefile' | 'workdir' | 'disk_space' | 'cached_basefile' | 'accept_env' | 'transfer' | 'leftovers';

export interface PreflightCheck {
  name: CheckName;
  level: 'ok' | 'warn' | 'fail';
  detail: string;
}

export interface PreflightReport {
  /** `user@host:port`, as in logs and results. */
  host: string;
  /** `host:port`. */
  address: string;
  /** unusable: at least one check failed; warn: usable, with something to look at. */
  status: 'ok' | 'warn' | 'unusable';
  /** One line: the failed checks (unusable), the warnings (warn), or a summary (ok). */
  reason: string;
  checks: PreflightCheck[];
  facts?: HostFacts;
  /** The basefile this host gets, and why (usable hosts). */
  basefile?: Basefile;
  basefileWhy?: string;
  /** How files reach this host (SFTP or exec channels), and why. */
  transfer?: TransferChoice;
  /** The cached copy of the chosen basefile was verified (trusted directory, sha256, runs): the staging keeps it. Otherwise it uploads over it. */
  reuseCached?: boolean;
  /** The V8 code caches the probe found beside the reused cached basefile (suffixes): none is shipped again. */
  cachedCodeCaches?: string[];
  /** What stopped the preflight before it had the host's facts (connect, host key, auth, probe exec). */
  error?: unknown;
}

export interface PreflightOptions {
  remote: Pick<RemoteConfig, 'workdir'> & Partial<Pick<RemoteConfig, 'transfer' | 'stale_run_seconds'>>;
  /**
   * Earlier runs' leftovers in the workdir (leftovers.ts), looked at by the same exec after the
   * trust check: list them (tea hosts check), remove the dead ones (a run; tea hosts clean),
   * or remove all (tea hosts clean --include-live). Default: not looked at.
   */
  leftovers?: LeftoverMode;
  catalog: BasefileCatalog;
  /** Bytes of the workflow YAML uploaded once per run. */
  workflowBytes: number;
  /** The local tea's version, compared with a cached basefile's `--version`. */
  localVersion: string;
  /** Env var names that must reach the remote command through sshd's AcceptEnv (env_vars mode ssh_env). */
  acceptEnv?: readonly string[];
  /** A run (not `tea hosts check`): the probe also makes the directories and writes the workflow (host-probe.ts). */
  stage?: { runDirName: string; workflow: string; marker: string };
  signal: AbortSignal;
}

/**
 * Checks one host before anything is uploaded to it, over its (single) connection:
 * reachable, host key, authentication, then one exec that gathers the facts (OS and
 * architecture, Node, free space and writability of workdir, cached basefile, AcceptEnv)
 * against which the basefile is chosen and checked. Never throws for the host's state:
 * every finding is in the report. Rejects only when `signal` aborts.
 */
export async function preflight(connection: HostConnection, options: PreflightOptions): Promise<PreflightReport> {
  const { spec } = connection;
  const checks: PreflightCheck[] = [];
  const report = (facts?: HostFacts, extra: Partial<PreflightReport> = {}): PreflightReport => finish(spec.id, `${spec.host}:${spec.port}`, checks, facts, extra);
  const hostKeyBefore = knownBefore(spec.knownHosts, spec.host, spec.port);

  try {
    await connection.connect(options.signal);
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    connectFailure(checks, error);
    return report(undefined, { error });
  }
  checks.push({ name: 'reachable', level: 'ok', detail: 'SSH handshake done' });
  checks.push(hostKeyCheck(spec.strictHostKeyChecking, hostKeyBefore));
  checks.push({ name: 'authenticated', level: 'ok', detail: `as ${spec.user}` });

  const env = [...(options.acceptEnv ?? [])];
  const bad = env.find((name) => !ENV_NAME.test(name));
  if (bad !== undefined) throw new TeaError('E_CONFIG_INVALID', `env var name ${JSON.stringify(bad)} is not a valid name`);
  // Every candidate's cache path: which one is used depends on facts this same exec gathers.
  const candidates = candidateBasefiles(options.catalog);
  const workdir = sftpPath(options.remote.workdir);
  const cachePaths = candidates.map((b) => ({ path: basefilePath({ cacheDir: cacheDirOf(workdir) }, b.sha256), sha256: b.sha256 }));
  // Dead runs' leftovers go in the same exec, after the trust check (leftovers.ts).
  const sweep = { mode: options.leftovers ?? 'none', hostSlug: hostSlug(spec.id), staleSeconds: options.remote.stale_run_seconds ?? DEFAULT_STALE_RUN_SECONDS };
  const request = buildProbeRequest({ workdir, cached: cachePaths, env, leftovers: sweep, ...(options.stage === undefined ? {} : { stage: options.stage }) });

  // The SFTP probe and the probe exec go out together: one round trip of channel work instead
  // of two (issue 21). SFTP's channel open is sent first, so on a server that allows one
  // channel (MaxSessions 1) the exec is the one refused, waits, and finds SFTP crowding it
  // out once the SFTP probe is done (connection.ts: sftpCrowdsExec).
  const mode = options.remote.transfer ?? 'auto';
  const sftpProbe: Promise<SftpProbe | null> = mode === 'exec' ? Promise.resolve(null) : probeSftp(connection, options.signal);
  sftpProbe.catch(() => {}); // awaited below; a failure must not go unhandled while the exec runs
  const probed = connection.exec(request.command, options.signal, { stdin: request.stdin, ...(env.length === 0 ? {} : { env: Object.fromEntries(env.map((n) => [n, 'tea-preflight'])) }) });
  probed.catch(() => {}); // awaited below too; a rejection while the SFTP probe is awaited must not count as unhandled
  let sftp: SftpProbe | null = null;
  try {
    sftp = await sftpProbe;
  } catch (error) {
    await probed.catch(() => {});
    if (options.signal.aborted) throw options.signal.reason;
    checks.push({ name: 'probe', level: 'fail', detail: `cannot inspect the host: ${errorMessage(error)}` });
    return report(undefined, { error });
  }
  let facts: HostFacts;
  try {
    facts = parseProbeOutput((await probed).stderrTail);
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (isTeaError(error)) {
      checks.push({ name: 'probe', level: 'fail', detail: `cannot inspect the host: ${errorMessage(error)}` });
      return report(undefined, { error });
    }
    // The exec ran but the script did not: the login shell could not run the bootstrap.
    const shell = await loginShell(connection, options.signal);
    checks.push({ name: 'login_shell', level: 'fail', detail: bootstrapFailure(spec.user, shell, errorMessage(error)) });
    return report(undefined, {});
  }
  checks.push({ name: 'login_shell', level: 'ok', detail: `login shell ${facts.shell === '' ? '(SHELL unset)' : facts.shell} runs the bootstrap` });

  const transfer = decideTransfer(mode, sftp, connection.sftpCrowdsExec);
  checks.push({ name: 'transfer', level: transfer.level, detail: transfer.detail });

  const choice = chooseBasefile(options.catalog, { os: facts.os, machine: facts.machine, node: facts.node });
  if (!choice.ok) {
    checks.push({ name: 'basefile', level: 'fail', detail: `${facts.os} ${facts.machine}, ${nodeText(facts)}: ${choice.reason}` });
  } else {
    checks.push({ name: 'basefile', level: 'ok', detail: `${facts.os} ${facts.machine}, ${nodeText(facts)}: ${describeBasefile(choice.basefile)}, because ${choice.why}` });
  }

  const where = facts.dir === workdir || facts.dir === `./${workdir}` ? `workdir ${options.remote.workdir}` : `workdir ${options.remote.workdir} (nearest existing: ${facts.dir})`;
  const untrusted = describeUntrusted(options.remote.workdir, facts.untrusted, facts.uid, facts.user);
  if (untrusted !== null) {
    // Nothing was written there nor run from there: the probe stopped at the trust check.
    checks.push({ name: 'workdir', level: 'fail', detail: untrusted });
  } else if (!facts.writable) {
    checks.push({ name: 'workdir', level: 'fail', detail: `${where} is not writable by ${spec.user}: choose another workdir or fix its permissions` });
  } else if (!facts.executable) {
    checks.push({ name: 'workdir', level: 'fail', detail: `${where} is writable but files there cannot be executed (noexec mount?): choose another workdir` });
  } else {
    checks.push({ name: 'workdir', level: 'ok', detail: `${where} is writable and executable, and only ${facts.user || 'the login user'} (or root) can change it` });
  }

  if ((options.leftovers ?? 'none') !== 'none') checks.push(leftoverCheck(facts.leftovers, options.leftovers === 'list'));

  let reuseCached = false;
  let cachedCodeCaches: string[] = [];
  let uploadBytes = options.workflowBytes;
  if (choice.ok) {
    const { basefile } = choice;
    const index = candidates.indexOf(basefile);
    const cachePath = basefilePath({ cacheDir: cacheDirOf(workdir) }, basefile.sha256);
    let cached = facts.cached.get(index);
    if (index < 0 && basefile.kind !== 'other') {
      // The standalone binary is fingerprinted only once a host needs it: a second, small look.
      try {
        const request = buildProbeRequest({ workdir, cached: [{ path: cachePath, sha256: basefile.sha256 }], env: [] });
        const again = await connection.exec(request.command, options.signal, { stdin: request.stdin });
        cached = parseProbeOutput(again.stderrTail).cached.get(0);
      } catch (error) {
        if (options.signal.aborted) throw options.signal.reason;
        checks.push({ name: 'probe', level: 'fail', detail: `cannot inspect the host: ${errorMessage(error)}` });
        return report(facts, { error });
      }
    }
    const verdict = cachedCheck(basefile, cachePath, cached, options.localVersion);
    checks.push(verdict.check);
    reuseCached = !verdict.upload;
    if (reuseCached) cachedCodeCaches = cached?.codeCaches ?? [];
    if (verdict.upload) uploadBytes += basefile.size;
  }

  const needed = uploadBytes + SPACE_MARGIN_BYTES;
  if (facts.freeBytes === null) {
    checks.push({ name: 'disk_space', level: 'warn', detail: `free space in ${facts.dir} unknown (df failed): need ${formatBytes(needed)}` });
  } else if (facts.freeBytes < needed) {
    checks.push({
      name: 'disk_space',
      level: 'fail',
      detail: `${formatBytes(facts.freeBytes)} free in ${facts.dir}, need ${formatBytes(needed)} (${formatBytes(uploadBytes)} to upload + ${formatBytes(SPACE_MARGIN_BYTES)} margin): free space or choose another workdir`,
    });
  } else {
    checks.push({ name: 'disk_space', level: 'ok', detail: `${formatBytes(facts.freeBytes)} free in ${facts.dir}, need ${formatBytes(needed)}` });
  }

  if (env.length > 0) {
    checks.push(
      facts.envUnset.length === 0
        ? { name: 'accept_env', level: 'ok', detail: `sshd passes ${env.join(', ')}` }
        : {
            // A warning, not a failure: the run goes on without those variables (the
            // env transfer warns too); export_file mode does not depend on AcceptEnv.
            name: 'accept_env',
            level: 'warn',
            detail: `sshd does not pass ${facts.envUnset.join(', ')} (its AcceptEnv): add "AcceptEnv ${facts.envUnset.join(' ')}" to the host's sshd_config, or use another env_vars mode`,
          },
    );
  }

  return report(facts, { transfer, ...(choice.ok ? { basefile: choice.basefile, basefileWhy: choice.why, reuseCached, cachedCodeCaches } : {}) });
}

/**
 * The login shell from /etc/passwd over SFTP (the exec path is what failed), or null when it
 * cannot be read: the message then says "the login shell" without a name.
 */
async function loginShell(connection: HostConnection, signal: AbortSignal): Promise<string | null> {
  let lease: SftpLease | undefined;
  try {
    lease = await connection.sftpLease(signal);
    const passwd = await lease.ops.readFile('/etc/passwd');
    const line = passwd.toString('utf8').split('\n').find((l) => l.split(':')[0] === connection.spec.user);
    return line?.split(':')[6]?.trim() || null;
  } catch {
    return null;
  } finally {
    lease?.release();
  }
}

function bootstrapFailure(user: string, shell: string | null, what: string): string {
  const name = shell === null ? `the login shell of ${user}` : `the login shell of ${user} (${shell})`;
  return `${name} cannot run tea's bootstrap \`${BOOTSTRAP_COMMAND}\` (${what}): give ${user} a shell such as /bin/sh, bash, dash, zsh, fish or tcsh, and check that /bin/sh exists`;
}

/**
 * The basefiles whose cached copy the probe looks at (and runs with `--version`): the
 * configured one, or the JS artifact. A file that is neither a node script nor an ELF binary
 * is not run: it may not be a tea at all.
 */
function candidateBasefiles(catalog: BasefileCatalog): Basefile[] {
  if (catalog.configured !== null) return catalog.configured.kind === 'other' ? [] : [catalog.configured];
  const js = catalog.jsArtifact();
  return js === null ? [] : [js];
}

/**
 * What the cached copy of the chosen basefile tells: reuse it, or upload over it. It is
 * reused only when the probe found it in a trusted directory, owned by the login user,
 * with the basefile's sha256 (so its `--version` was run at all).
 */
function cachedCheck(basefile: Basefile, path: string, cached: CachedFact | undefined, localVersion: string): { check: PreflightCheck; upload: boolean } {
  const name = 'cached_basefile' as const;
  if (basefile.kind === 'other') {
    return { check: { name, level: 'ok', detail: 'not checked: the basefile is neither a node script nor an ELF binary' }, upload: true };
  }
  if (cached === undefined) {
    return { check: { name, level: 'ok', detail: `none cached yet: ${formatBytes(basefile.size)} to upload` }, upload: true };
  }
  const replace = (why: string) => ({ check: { name, level: 'warn' as const, detail: `cached ${path} ${why}: it will be replaced (not run)` }, upload: true });
  if (cached.foreign !== undefined) return replace(`is not yours alone (mode and owner uid: ${cached.foreign})`);
  if (cached.size !== basefile.size) return replace(`has ${cached.size} bytes, not ${basefile.size}`);
  if (cached.sha256 === '') return replace('cannot be verified (the host has no sha256sum, shasum or openssl)');
  if (cached.sha256 !== basefile.sha256) return replace(`has other content than this basefile (sha256 ${cached.sha256.slice(0, 16)}..., expected ${basefile.sha256.slice(0, 16)}...)`);
  if (cached.rc !== 0) {
    return { check: { name, level: 'warn', detail: `cached ${path} does not run (tea --version exited ${cached.rc}: ${cached.version || 'no output'}): it will be replaced` }, upload: true };
  }
  if (cached.version !== localVersion) {
    return { check: { name, level: 'warn', detail: `cached ${path} is tea ${cached.version}, this tea is ${localVersion}` }, upload: false };
  }
  return { check: { name, level: 'ok', detail: `cached tea ${cached.version} (sha256 verified) runs and matches this tea` }, upload: false };
}

/** The default of remote.stale_run_seconds, for callers that pass a partial config. */
const DEFAULT_STALE_RUN_SECONDS = 900;

/** Leftovers: a warning when only listed and some are dead runs' (tea hosts check); otherwise news. */
function leftoverCheck(leftovers: readonly Leftover[], listOnly: boolean): PreflightCheck {
  const text = describeLeftovers(leftovers);
  if (text === null) return { name: 'leftovers', level: 'ok', detail: 'no leftovers of earlier runs' };
  // Kept directories (cleanup: false) are there on purpose: reported, not warned about.
  const deadLeft = leftovers.some((l) => !l.removed && l.state === 'dead');
  return { name: 'leftovers', level: listOnly && deadLeft ? 'warn' : 'ok', detail: text };
}

function nodeText(facts: HostFacts): string {
  return facts.node === null ? 'no Node' : `Node ${facts.node.version}`;
}

function connectFailure(checks: PreflightCheck[], error: unknown): void {
  const code = isTeaError(error) ? error.code : 'E_CONNECT_FAILED';
  const detail = errorMessage(error).replace(/^[^:\s]+@[^:\s]+:\d+: /, '');
  if (code === 'E_HOST_KEY_REJECTED') {
    checks.push({ name: 'reachable', level: 'ok', detail: 'sshd answers' }, { name: 'host_key', level: 'fail', detail });
  } else if (code === 'E_AUTH_FAILED') {
    checks.push({ name: 'reachable', level: 'ok', detail: 'sshd answers' }, { name: 'host_key', level: 'ok', detail: 'accepted' }, { name: 'authenticated', level: 'fail', detail });
  } else {
    checks.push({ name: 'reachable', level: 'fail', detail: `unreachable: ${detail}` });
  }
}

/** Whether known_hosts had the host before we connected: tells "known" from "added now". */
function knownBefore(knownHosts: string, host: string, port: number): boolean {
  try {
    const entries = parseKnownHosts(readRegularFileSync(knownHosts, 'utf8'));
    return knownKeyTypes(entries, lookupName(host, port)).length > 0;
  } catch {
    return false;
  }
}

function hostKeyCheck(mode: 'yes' | 'accept-new' | 'no', known: boolean): PreflightCheck {
  if (mode === 'no') return { name: 'host_key', level: 'warn', detail: 'NOT verified (strict_host_key_checking is "no")' };
  return known
    ? { name: 'host_key', level: 'ok', detail: 'matches known_hosts' }
    : { name: 'host_key', level: 'ok', detail: 'was unknown: added to known_hosts (strict_host_key_checking accept-new)' };
}

function finish(host: string, address: string, checks: PreflightCheck[], facts: HostFacts | undefined, extra: Partial<PreflightReport>): PreflightReport {
  const failed = checks.filter((c) => c.level === 'fail');
  const warned = checks.filter((c) => c.level === 'warn');
  const status = failed.length > 0 ? 'unusable' : warned.length > 0 ? 'warn' : 'ok';
  const reason =
    status === 'unusable'
      ? failed.map((c) => c.detail).join('; ')
      : [
          checks.find((c) => c.name === 'basefile')?.detail,
          checks.find((c) => c.name === 'disk_space')?.detail,
          checks.find((c) => c.name === 'login_shell')?.detail,
          checks.find((c) => c.name === 'transfer' && c.level === 'ok')?.detail,
          ...warned.map((c) => c.detail),
        ]
          .filter((d): d is string => d !== undefined)
          .join('; ');
  return { host, address, status, reason, checks, ...(facts === undefined ? {} : { facts }), ...extra };
}

/** The error an attempt throws on an unusable host: the scheduler requeues its flow and excludes the host. */
export function unusableError(report: PreflightReport): TeaError {
  return new TeaError('E_HOST_UNUSABLE', `${report.host}: unusable (preflight): ${report.reason}`, { host: report.host });
}
