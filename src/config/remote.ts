import { z } from 'zod';
import { parseSshLogin } from './sshlogin';

const safePath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !/[\0\n\r]/.test(p), 'must not contain NUL or newline characters');

export const hostObjectSchema = z.strictObject({
  host: z.string().min(1).regex(/^[A-Za-z0-9._:-]+$/, 'invalid host name'),
  user: z.string().regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'invalid user name').optional(),
  port: z.number().int().min(1).max(65535).optional(),
  slots: z.number().int().min(1).max(1024).optional(),
  identity_file: safePath.optional(),
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

export const remoteConfigSchema = z.strictObject({
  hosts: z.array(hostEntrySchema).min(1, 'at least one host is required'),
  /** File shipped to every host and run as `tea`. Default: this tea's own single-file artifact. */
  basefile: safePath.optional(),
  /** Remote directory under which each run gets its own directory. Relative paths are under the login directory. */
  workdir: safePath.default('/tmp/tea-jobs'),
  /** Remove the run's remote files when the run ends (the basefile cache stays). */
  cleanup: z.boolean().default(true),
  /** Default private key for hosts without their own; ssh-agent is also tried when SSH_AUTH_SOCK is set. */
  identity_file: safePath.optional(),
  known_hosts: safePath.default('~/.ssh/known_hosts'),
  /** OpenSSH's StrictHostKeyChecking: yes | accept-new | no. */
  strict_host_key_checking: z.enum(['yes', 'accept-new', 'no']).default('accept-new'),
  /** Seconds for TCP connect + handshake + authentication. */
  connect_timeout: z.number().positive().default(20),
  /** Exec channels per connection; OpenSSH's MaxSessions is 10 and SFTP takes one. */
  max_channels_per_host: z.number().int().min(1).max(64).default(8),
  /** Seconds between keepalive probes; a host is lost after `keepalive_count_max` unanswered ones. */
  keepalive_interval: z.number().positive().default(5),
  keepalive_count_max: z.number().int().min(1).default(3),
  /** Seconds between TERM and KILL when a remote branch is ended early (timeout, cancel, lost connection). */
  kill_grace_seconds: z.number().int().min(1).max(300).default(5),
  /** Connections being set up at once across all hosts (OpenSSH MaxStartups begins dropping at 10). */
  max_concurrent_handshakes: z.number().int().min(1).max(64).default(8),
});
export type RemoteConfig = z.infer<typeof remoteConfigSchema>;
