import type { EnvVarsConfig } from '../../config/remote';
import { execRequest, type ExecRequest } from './bootstrap';
import { globToRegExp } from '../../util/glob';

/** The variables a run transfers to its hosts, chosen once from this process's environment. */
export interface EnvSelection {
  mode: EnvVarsConfig['mode'];
  /** Name -> value; empty when nothing is to be transferred. */
  values: Readonly<Record<string, string>>;
  /** Listed in `include` but not set here (names only). */
  missing: string[];
  /** Listed in `include` but removed by an `exclude_patterns` glob. */
  excluded: string[];
}

/** `include` is a whitelist of exact names; `exclude_patterns` (globs) are applied after it. */
export function selectEnv(config: EnvVarsConfig, env: NodeJS.ProcessEnv): EnvSelection {
  const excludes = config.exclude_patterns.map((glob) => globToRegExp(glob));
  const values: Record<string, string> = {};
  const missing: string[] = [];
  const excluded: string[] = [];
  if (config.mode !== 'none') {
    for (const name of new Set(config.include)) {
      if (excludes.some((re) => re.test(name))) excluded.push(name);
      else if (env[name] === undefined) missing.push(name);
      else values[name] = env[name]!;
    }
  }
  return { mode: config.mode, values: Object.freeze(values), missing, excluded };
}

/**
 * A POSIX sh script printing `tea-env-missing NAME` (to stderr) for each name not in
 * its environment: sent with the names as SSH env requests, it shows what sshd's
 * AcceptEnv dropped (sshd drops them silently).
 */
export const ENV_PROBE_SCRIPT = 'for n in "$@"; do env | grep "^$n=" >/dev/null || printf \'tea-env-missing %s\\n\' "$n" >&2; done';

export function envProbeRequest(names: readonly string[]): ExecRequest {
  return execRequest({ script: ENV_PROBE_SCRIPT, args: names });
}

export function parseEnvProbe(stderr: string): string[] {
  return [...stderr.matchAll(/^tea-env-missing (\S+)$/gm)].map((m) => m[1]!);
}
