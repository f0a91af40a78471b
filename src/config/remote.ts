import { z } from 'zod';
import { isHostName, parseSshLogin } from './sshlogin';

const safePath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !/[\0\n\r]/.test(p), 'must not contain NUL or newline characters');

/**
 * The remote workdir: `/abs/path`, `rel/path` or `~/rel/path` (both under the login
 * directory), or `~`. Components may not be empty, `.` or `..`: a path that says where it
 * goes, checked component by component on the host (workdir-trust.ts), with no way out.
 */
const workdirSchema = safePath.superRefine((path, ctx) => {
  // The workdir is in every branch's mark (reaper.ts), which must hold no control character;
  // NUL, CR and LF are safePath's (one message per fault).
  if (/[\x01-\x09\x0b\x0c\x0e-\x1f\x7f]/.test(path)) {
    ctx.addIssue({ code: 'custom', message: 'must not contain control characters (tab, escape, ...)' });
    return;
  }
  if (path === '~' || path === '/') {
    if (path === '/') ctx.addIssue({ code: 'custom', message: 'must not be "/": use a directory only the login user can write, e.g. .cache/tea-remote (under the login directory)' });
    return;
  }
  if (/^~[^/]/.test(path)) {
    ctx.addIssue({ code: 'custom', message: `"${path}": ~user paths are not supported: write ~/dir (the login user's home), a path relative to it, or an absolute path` });
    return;
  }
  const rest = path.startsWith('~/') ? path.slice(2) : path.startsWith('/') ? path.slice(1) : path;
  const parts = rest.split('/');
  const bad = parts.find((p) => p === '' || p === '.' || p === '..');
  if (bad !== undefined) {
    const what = bad === '' ? 'an empty component ("//" or a trailing "/")' : `a "${bad}" component`;
    ctx.addIssue({ code: 'custom', message: `"${path}" has ${what}: write the directory's plain path (no "..", ".", "//" or trailing "/")` });
  }
});

/** A POSIX environment variable name: the only form sent to hosts or read for passphrases. */
export const envNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');

export const hostObjectSchema = z.strictObject({
  /** A host name, address, or a `Host` alias of the ssh_config file (then the name shown in logs). */
  host: z.string().min(1).refine(isHostName, 'invalid host name (a name, an IPv4 address, or an IPv6 address such as ::1 or fe80::1%eth0)'),
  user: z.string().regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'invalid user name').optional(),
  port: z.number().int().min(1).max(65535).optional(),
  slots: z.number().int().min(1).max(1024).optional(),
  identity_file: safePath.optional(),
  /** Environment variable holding the passphrase of this host's encrypted identity_file. */
  passphrase_env: envNameSchema.optional(),
});

const sshloginSchema = z.string().transform((text, ctx) => {
  const parsed = parseSshLogin(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return parsed as z.infer<typeof hostObjectSchema>;
});

/**
 * A host as written: an sshlogin string or an object, normalized to the object
 * form. Dispatching on the type (not z.union) keeps the precise message.
 */
const hostEntrySchema = z.unknown().transform((value, ctx) => {
  const parsed = (typeof value === 'string' ? sshloginSchema : hostObjectSchema).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] });
  }
  return z.NEVER;
});
export type HostEntry = z.infer<typeof hostObjectSchema>;

/** Names the remote command itself sets: a transferred variable must not replace them. */
export const RESERVED_ENV_NAMES: ReadonlySet<string> = new Set(['TEA_REMOTE_BRANCH', 'TEA_FLOW_MARK']);

export const envVarsSchema = z.strictObject({
  /** Whitelist of variable names (exact, no globs) taken from this process's environment. */
  include: z
    .array(envNameSchema.refine((n) => !RESERVED_ENV_NAMES.has(n), 'is set by tea itself on the host and cannot be transferred'))
    .default([]),
  /** Globs (`*`, `?`) removing names from `include`, e.g. `*_TOKEN`. */
  exclude_patterns: z.array(z.string().min(1)).default([]),
  /**
   * stdin: sent on the exec channel's stdin to the remote wrapper, which exports them for tea (nothing written to the host's disk);
   * ssh_env: SSH "env" requests (the host's sshd must list the names in AcceptEnv; others are dropped, and tea warns);
   * export_file: the former name of stdin, same behaviour (no file is written any more);
   * none: nothing is transferred.
   */
  mode: z.enum(['stdin', 'ssh_env', 'export_file', 'none']).default('stdin'),
});
export type EnvVarsConfig = z.infer<typeof envVarsSchema>;

/** Used when neither the YAML nor the host's ssh_config UserKnownHostsFile / StrictHostKeyChecking sets one. */
export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';
export const DEFAULT_STRICT_HOST_KEY_CHECKING = 'accept-new' as const;

/** Used when neither the YAML nor the host's ssh_config ConnectTimeout sets one. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 20;

export const remoteConfigSchema = z.strictObject({
  hosts: z.array(hostEntrySchema).min(1, 'at least one host is required'),
  /** File shipped to every host and run as `tea`. Default: this tea's own single-file artifact. */
  basefile: safePath.optional(),
  /**
   * Remote directory under which each run gets its own directory; relative paths (and `~/x`) are under the login directory.
   * It, its parents up to the login directory (or `/`) and everything tea creates in it must be the login user's (or root's)
   * and not writable by group or others, with no symlink (docs/security.md): otherwise the host is excluded.
   */
  workdir: workdirSchema.default('.cache/tea-remote'),
  /** Remove the run's remote files when the run ends (the basefile cache stays). */
  cleanup: z.boolean().default(true),
  /**
   * Seconds of silence after which a run directory is a dead run's (docs/remote-layout.md "Leftovers"): each run
   * refreshes its marker every fifth of this; the next run on the host removes dead runs' directories (never one
   * whose branch processes still run) and partial basefile uploads not written for this long. Keep it well above
   * sftp_timeout and any pause a client may have (a suspended laptop).
   */
  stale_run_seconds: z.number().int().min(10).default(900),
  /** Default private key for hosts without their own; tried after the agent, before ssh_config's IdentityFile. */
  identity_file: safePath.optional(),
  /** Environment variable holding the passphrase of an encrypted key (never the passphrase itself). */
  passphrase_env: envNameSchema.optional(),
  /**
   * ssh-agent to try first: a socket path; on Windows also `pageant` or the OpenSSH agent pipe
   * (`\\.\pipe\openssh-ssh-agent`; both refused elsewhere); false for none. Default: ssh_config IdentityAgent, else $SSH_AUTH_SOCK.
   */
  agent: z.union([safePath, z.literal(false)]).optional(),
  /** OpenSSH client config read for Host aliases (HostName, User, Port, IdentityFile, ConnectTimeout, ProxyJump); false: none. A missing default file is fine. */
  ssh_config: z.union([safePath, z.literal(false)]).default('~/.ssh/config'),
  /** OpenSSH known_hosts file read and written. Default: the host's ssh_config UserKnownHostsFile (its first file), else ~/.ssh/known_hosts. */
  known_hosts: safePath.optional(),
  /** OpenSSH's StrictHostKeyChecking: yes | accept-new | no. Default: the host's ssh_config StrictHostKeyChecking (ask counts as yes), else accept-new. */
  strict_host_key_checking: z.enum(['yes', 'accept-new', 'no']).optional(),
  /** Seconds for TCP connect + handshake + authentication. Default: the host's ssh_config ConnectTimeout, else 20. */
  connect_timeout: z.number().positive().optional(),
  /** Exec channels per connection; OpenSSH's MaxSessions is 10 and SFTP takes one. */
  max_channels_per_host: z.number().int().min(1).max(64).default(8),
  /**
   * How files reach the hosts (staging; per-branch files until they move onto the exec channel):
   * sftp = the SFTP subsystem (fast; a host without a usable one is unusable);
   * exec = `cat` over exec channels, no SFTP needed (hosts without a Subsystem line, Dropbear
   * without sftp-server, login shells that print, MaxSessions 1);
   * auto = SFTP when the preflight finds it usable beside exec, else exec (the reason is logged).
   */
  transfer: z.enum(['auto', 'sftp', 'exec']).default('auto'),
  /** Seconds an SFTP channel open or one SFTP request may take (uploads: plus 1 s per MiB); then the channel is replaced and the attempt fails as the host's. Also bounds how long a branch's input on its exec channel may take to be read (plus 1 s per MiB). Independent of timeout_seconds. */
  sftp_timeout: z.number().positive().default(15),
  /** Seconds a new channel may take to open: one the server refuses (MaxSessions) is retried, one it does not answer (nor its exec request) is waited for; then the attempt fails as the host's (E_CHANNEL_UNAVAILABLE). */
  channel_wait: z.number().positive().default(30),
  /** Seconds between keepalive probes; a host is lost after `keepalive_count_max` unanswered ones. */
  keepalive_interval: z.number().positive().default(5),
  keepalive_count_max: z.number().int().min(1).default(3),
  /** Seconds between TERM and KILL when a remote branch is ended early (timeout, cancel, lost connection). */
  kill_grace_seconds: z.number().int().min(1).max(300).default(5),
  /** Connections being set up at once across all hosts (OpenSSH MaxStartups begins dropping at 10). */
  max_concurrent_handshakes: z.number().int().min(1).max(64).default(8),
  /** Bytes a branch's result.json may have; a larger one (or one that is not a regular file) fails the branch with E_RESULT_INVALID before it is read. */
  max_result_bytes: z.number().int().min(1024).default(256 * 1024 * 1024),
  /** Local environment variables made visible to remote branches; values never go on a command line. */
  env_vars: envVarsSchema.default(envVarsSchema.parse({})),
  /**
   * How a branch runs on its host: process = a fresh `tea run` process per branch (one exec
   * channel each); warm = one runner per host connection, started once, running each branch
   * in a worker_thread of its own (docs/decisions.md "Warm runner"; its differences are in
   * docs/remote-layout.md). The GNU Parallel plan always runs processes.
   */
  runner: z.enum(['process', 'warm']).default('process'),
  /**
   * runner: warm: standby workers, started ahead (program loaded) so a branch does not wait for
   * its worker's start. off (default) = none: each worker starts when its branch arrives, which
   * costs less CPU and memory (measured faster for a fan-out whose hosts' CPU is the bound);
   * auto = as many per host as branches are still expected there, at most its slots: about half
   * the latency of branches that come one at a time, on hosts with idle cores and memory
   * (docs/decisions.md "Warm runner", standby workers).
   */
  warm_standbys: z.enum(['auto', 'off']).default('off'),
  /** GNU Parallel (docs/gnu-parallel.md): off; plan = log its command, run over ssh2; run = run it when installed, else ssh2. */
  gnu_parallel: z.enum(['off', 'plan', 'run']).default('off'),
});
export type RemoteConfig = z.infer<typeof remoteConfigSchema>;
