import { homedir } from 'node:os';
import path from 'node:path';

/** What local path expansion depends on; tests pass their own (a Windows one on Linux). */
export interface LocalPathContext {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/**
 * Expands a local path written in config the way the local ssh would read it: a leading
 * `~` is the home directory (`~/` everywhere; on Windows also `~\`, as OpenSSH for Windows
 * does), and on Windows `%NAME%` is the environment variable (`%USERPROFILE%\.ssh\id_ed25519`,
 * as cmd.exe and Explorer write paths). An unknown `%NAME%` stays as written, so the
 * file-not-found message shows it. Joins use the local platform's separator.
 */
export function expandHome(file: string, context: LocalPathContext = {}): string {
  const platform = context.platform ?? process.platform;
  const windows = platform === 'win32';
  const join = windows ? path.win32.join : path.posix.join;
  let out = file;
  if (windows) out = expandWindowsVariables(out, context.env ?? process.env);
  if (out === '~') return context.home ?? homedir();
  if (out.startsWith('~/') || (windows && out.startsWith('~\\'))) return join(context.home ?? homedir(), out.slice(2));
  return out;
}

/** `%NAME%` -> the variable's value; names match case-insensitively, as on Windows. */
function expandWindowsVariables(file: string, env: NodeJS.ProcessEnv): string {
  if (!file.includes('%')) return file;
  const lower = new Map(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  return file.replace(/%([A-Za-z_][A-Za-z0-9_()]*)%/g, (whole, name: string) => lower.get(name.toLowerCase()) ?? whole);
}

/** A Windows named pipe (`\\.\pipe\NAME`, either slash), as ssh2 and OpenSSH for Windows accept for the agent. */
export function isWindowsPipe(file: string): boolean {
  return /^[/\\][/\\]\.[/\\]pipe[/\\].+/.test(file);
}
