/**
 * GNU Parallel's sshlogin form: `[slots/][user@]host[:port]`, with `[v6addr]:port`
 * for IPv6. Returns a description of what is wrong instead of throwing, so the zod
 * schema can report it under the entry's path.
 */
export interface SshLogin {
  host: string;
  user?: string;
  port?: number;
  slots?: number;
}

const HOST_RE = /^[A-Za-z0-9._-]+$/;
/** An IPv6 address, optionally with a zone id (`fe80::1%eth0`), as getaddrinfo takes it. */
export const IPV6_RE = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?$/;

export function parseSshLogin(text: string): SshLogin | string {
  let rest = text.trim();
  if (rest === '') return 'empty host entry';
  const out: SshLogin = { host: '' };

  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const slots = rest.slice(0, slash);
    if (!/^[1-9][0-9]{0,3}$/.test(slots)) return `slots must be a positive integer before "/" (got "${slots}")`;
    out.slots = Number(slots);
    rest = rest.slice(slash + 1);
  }
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const user = rest.slice(0, at);
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(user)) return `invalid user name "${user}"`;
    out.user = user;
    rest = rest.slice(at + 1);
  }
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return `unclosed "[" in "${text}"`;
    out.host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return `unexpected "${after}" after "]"`;
      portText = after.slice(1);
    }
    if (!IPV6_RE.test(out.host)) return `invalid IPv6 address "${out.host}"`;
  } else {
    // `::1`, `fe80::1%lo`: a bare IPv6 address cannot be told from host:port.
    if (rest.indexOf(':') !== rest.lastIndexOf(':')) {
      return `an IPv6 address must be written in brackets: "${text.slice(0, text.length - rest.length)}[${rest}]" (with a port: "[${rest}]:22")`;
    }
    const colon = rest.indexOf(':');
    if (colon !== -1) {
      portText = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
    out.host = rest;
    if (out.host === '') return `no host name in "${text}"`;
    if (!HOST_RE.test(out.host)) return `invalid host name "${out.host}"`;
  }
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (typeof port === 'string') return port;
    out.port = port;
  }
  return out;
}

/** A host name, IPv4 address, or IPv6 address (with an optional zone id): what may be connected to. */
export function isHostName(text: string): boolean {
  return HOST_RE.test(text) || IPV6_RE.test(text);
}

export function parsePort(text: string): number | string {
  if (!/^[0-9]{1,5}$/.test(text)) return `port must be 1-65535 (got "${text}")`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `port must be 1-65535 (got "${text}")`;
  return port;
}

/** `user@host:port`, the name a host goes by in logs, results and errors. */
export function hostLabel(host: string, port: number, user: string): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${user}@${h}:${port}`;
}
