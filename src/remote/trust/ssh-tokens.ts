import { createHash } from 'node:crypto';
import { homedir, hostname, userInfo } from 'node:os';
import { expandHome } from '../../util/paths';

/** What the `%` tokens of an ssh_config path stand for, for one host (as OpenSSH 9.2's ssh.c fills them). */
export interface TokenContext {
  /** The name as written (`%n`, `%k`). */
  alias: string;
  /** What is connected to: HostName, expanded (`%h`). */
  host: string;
  port: number;
  /** The remote login user (`%r`). */
  user: string;
  /** The local account name (`%u`; default: os.userInfo()). */
  localUser?: string;
}

/**
 * Expands a path from ssh_config as `ssh` does for IdentityFile and UserKnownHostsFile:
 * `~`, then `${VAR}` from the environment, then the `%` tokens. Returns the reason as a
 * string when it cannot (an unknown token, an unset variable): the caller names where.
 * `%C` is OpenSSH 9.2's connection hash, sha1 of %l%h%p%r (later versions add %j).
 */
export function expandSshPath(value: string, ctx: TokenContext, env: NodeJS.ProcessEnv): { path: string } | { error: string } {
  const local = hostname();
  const tokens: Record<string, string> = {
    '%': '%',
    C: createHash('sha1').update(`${local}${ctx.host}${ctx.port}${ctx.user}`).digest('hex'),
    d: homedir(),
    h: ctx.host,
    i: String(process.getuid?.() ?? -1),
    k: ctx.alias,
    L: local.split('.')[0]!,
    l: local,
    n: ctx.alias,
    p: String(ctx.port),
    r: ctx.user,
    u: ctx.localUser ?? userInfo().username,
  };
  let error: string | undefined;
  const dollars = expandHome(value).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const v = env[name];
    if (v === undefined) error ??= `${whole}: environment variable ${name} is not set`;
    return v ?? '';
  });
  const path = dollars.replace(/%(.)/g, (whole, t: string) => {
    const v = tokens[t];
    if (v === undefined) error ??= `token ${whole} is not supported (supported: %C %d %h %i %k %L %l %n %p %r %u %%)`;
    return v ?? '';
  });
  return error === undefined ? { path } : { error };
}
