import { readdirSync } from 'node:fs';
import { readErrorReason, readRegularFileSync } from '../../util/regular-file';
import { userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { parse, type Line } from 'ssh-config';
import { TeaError } from '../../errors';
import { patternsMatch } from './known-hosts';
import { expandHome } from '../../util/paths';

/**
 * The OpenSSH client config (`~/.ssh/config`), read the way `ssh` reads it for the few
 * keywords tea uses. Parsing (quoting, `=` separators, sections) is the `ssh-config`
 * package's; the evaluation is ours (see docs/decisions.md): the first value obtained
 * wins, IdentityFile accumulates, `Host` patterns match the alias case-insensitively
 * with `*`, `?` and `!`, `Match` supports all/host/originalhost/user/localuser, and
 * `Include` is followed. Nothing here runs a local command: `Match exec` never matches
 * (and is reported), and ProxyCommand is refused where it would apply.
 */
export interface SshConfigHost {
  hostName?: string;
  user?: string;
  port?: string;
  identityFiles: string[];
  connectTimeout?: string;
  proxyJump?: string;
  proxyCommand?: string;
  identityAgent?: string;
  identitiesOnly?: string;
  userKnownHostsFile?: string;
  strictHostKeyChecking?: string;
}

/** Keywords read, by their lowercase name; everything else is ignored. */
const KEYWORDS: Record<string, keyof Omit<SshConfigHost, 'identityFiles'> | 'identityFile'> = {
  hostname: 'hostName',
  user: 'user',
  port: 'port',
  identityfile: 'identityFile',
  connecttimeout: 'connectTimeout',
  proxyjump: 'proxyJump',
  proxycommand: 'proxyCommand',
  identityagent: 'identityAgent',
  identitiesonly: 'identitiesOnly',
  userknownhostsfile: 'userKnownHostsFile',
  stricthostkeychecking: 'strictHostKeyChecking',
};

const MAX_INCLUDE_DEPTH = 16; // as OpenSSH's READCONF_MAX_DEPTH

export class SshConfig {
  readonly #notes = new Set<string>();

  private constructor(
    readonly path: string,
    private readonly lines: Line[],
  ) {}

  /** Reads and parses a config file. A missing file is an empty config only when `optional`. */
  static load(path: string, optional: boolean, where: string): SshConfig {
    const full = expandHome(path);
    let text: string;
    try {
      text = readRegularFileSync(full, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (optional && code === 'ENOENT') return new SshConfig(full, []);
      throw new TeaError('E_CONFIG_INVALID', `${where}: cannot read ssh_config ${full}: ${readErrorReason(error)}`);
    }
    return SshConfig.fromText(text, full);
  }

  static fromText(text: string, path: string): SshConfig {
    return new SshConfig(path, parseConfig(text, path));
  }

  /** Records something tea read but honours only in part, for the warnings. */
  note(text: string): void {
    this.#notes.add(text);
  }

  /** Things in the file that tea could not honour, for a warning (each said once). */
  takeNotes(): string[] {
    const notes = [...this.#notes];
    this.#notes.clear();
    return notes;
  }

  /**
   * The settings that apply to `alias` (the name given in `hosts`), as ssh would compute
   * them; `user` is a user given outside the file (YAML), which `Match user` sees.
   */
  lookup(alias: string, user?: string): SshConfigHost {
    const found: SshConfigHost = { identityFiles: [] };
    const context = { alias, hostName: alias, user };
    const set = (param: string, value: string) => {
      const key = KEYWORDS[param.toLowerCase()];
      if (key === undefined) return;
      if (key === 'identityFile') {
        found.identityFiles.push(value);
        return;
      }
      if (found[key] !== undefined) return; // the first obtained value wins
      // ProxyJump and ProxyCommand are one setting in ssh: whichever comes first.
      if ((key === 'proxyJump' || key === 'proxyCommand') && (found.proxyJump ?? found.proxyCommand) !== undefined) return;
      found[key] = value;
      if (key === 'hostName') context.hostName = expandHostName(value, alias);
      if (key === 'user') context.user = value;
    };
    const walk = (lines: Line[], file: string, depth: number) => {
      for (const line of lines) {
        if (line.type !== 1 /* directive */) continue;
        const param = line.param.toLowerCase();
        if (param === 'host' && 'config' in line) {
          if (patternsMatch(values(line.value).join(','), alias.toLowerCase())) walk(line.config, file, depth);
        } else if (param === 'match' && 'config' in line) {
          if (this.#matches(values(line.value), context, file)) walk(line.config, file, depth);
        } else if (param === 'include') {
          for (const included of this.#include(values(line.value), file, depth)) walk(included.lines, included.path, depth + 1);
        } else {
          set(line.param, values(line.value).join(' '));
        }
      }
    };
    walk(this.lines, this.path, 0);
    return found;
  }

  #matches(tokens: string[], context: { alias: string; hostName: string; user: string | undefined }, file: string): boolean {
    const localUser = userInfo().username;
    for (let i = 0; i < tokens.length; i += 1) {
      const raw = tokens[i]!.toLowerCase();
      const negate = raw.startsWith('!');
      const criterion = negate ? raw.slice(1) : raw;
      let result: boolean;
      if (criterion === 'all') {
        result = true;
      } else if (['host', 'originalhost', 'user', 'localuser'].includes(criterion)) {
        const arg = tokens[(i += 1)];
        if (arg === undefined) {
          this.#notes.add(`${file}: "Match ${criterion}" without a pattern never matches`);
          return false;
        }
        const subject = { host: context.hostName, originalhost: context.alias, user: context.user ?? localUser, localuser: localUser }[criterion]!;
        result = patternsMatch(arg, subject.toLowerCase());
      } else {
        // exec would run a local command; canonical/final/tagged/localnetwork need state tea does not keep.
        this.#notes.add(`${file}: "Match ${criterion}" is not supported by tea: that Match block is ignored`);
        return false;
      }
      if (result === negate) return false;
    }
    return true;
  }

  #include(patterns: string[], file: string, depth: number): Array<{ path: string; lines: Line[] }> {
    if (depth >= MAX_INCLUDE_DEPTH) {
      throw new TeaError('E_CONFIG_INVALID', `${file}: Include nested deeper than ${MAX_INCLUDE_DEPTH} levels (a loop?)`);
    }
    const out: Array<{ path: string; lines: Line[] }> = [];
    for (const pattern of patterns) {
      const expanded = expandHome(pattern);
      // OpenSSH: relative paths are in ~/.ssh for the user config; here: beside the top config file.
      const full = isAbsolute(expanded) ? expanded : join(dirname(this.path), expanded);
      for (const path of globFiles(full)) {
        let text: string;
        try {
          text = readRegularFileSync(path, 'utf8');
        } catch {
          continue; // as ssh: an Include that matches nothing readable is not an error
        }
        out.push({ path, lines: parseConfig(text, path) });
      }
    }
    return out;
  }
}

function parseConfig(text: string, path: string): Line[] {
  try {
    return [...parse(text)];
  } catch (error) {
    throw new TeaError('E_CONFIG_INVALID', `ssh_config ${path}: cannot parse: ${(error as Error).message}`);
  }
}

function values(value: string | Array<{ val: string }>): string[] {
  return typeof value === 'string' ? [value] : value.map((v) => v.val);
}

/** `HostName` may use `%h` (the alias) and `%%`. */
export function expandHostName(value: string, alias: string): string {
  return value.replace(/%([%h])/g, (_, t: string) => (t === '%' ? '%' : alias));
}

/** `*` and `?` in the last path component only, sorted as glob(3) returns them. */
function globFiles(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const dir = dirname(path);
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  try {
    return readdirSync(dir)
      .filter((entry) => re.test(entry) && !entry.startsWith('.'))
      .sort()
      .map((entry) => join(dir, entry));
  } catch {
    return [];
  }
}
