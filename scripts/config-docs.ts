import { z } from 'zod';
import { parallelConfigSchema } from '../src/config/parallel';
import { hostObjectSchema } from '../src/config/remote';

/**
 * Renders docs/configuration.md from the zod schemas, so the reference cannot
 * drift from what is validated. Types, bounds and defaults come from the schemas
 * (zod's JSON Schema export); descriptions come from `.describe()` when a key has
 * one, else from the key's doc comment in the source file, else from EXTRA below.
 * test/unit/docs/config-docs.test.ts fails when the file is stale or a key has no
 * description: run `npm run docs:config`.
 */

/** Descriptions of keys that have no doc comment in the source. */
const EXTRA: Record<string, string> = {
  'settings.parallel.strategy': 'Where branches run: `thread` (in this process), `process` (a child `tea` per branch) or `remote` (SSH hosts). An edge\'s `parallel_strategy` overrides it per branch.',
  'settings.parallel.retry': 'Retry policy for failed branch attempts (exponential backoff with jitter, on another target when one is available).',
  'settings.parallel.retry.multiplier': 'Each retry delay is the previous one times this factor (before jitter and `max_delay`).',
  'settings.parallel.circuit_breaker': 'One breaker per target (host): after repeated transport failures the host gets no new branches for a while.',
  'settings.parallel.circuit_breaker.enabled': 'Turn the per-host circuit breakers off entirely.',
  'settings.parallel.remote': 'The SSH hosts and how to reach them; required when any branch uses the remote strategy.',
  'settings.parallel.remote.hosts': 'The hosts branches run on: each an sshlogin string `[slots/][user@]host[:port]` (GNU Parallel\'s form) or an object with the keys below.',
  'settings.parallel.remote.hosts[].host': 'Host name or IP address.',
  'settings.parallel.remote.hosts[].user': 'Login user. Default: the local user name.',
  'settings.parallel.remote.hosts[].port': 'SSH port. Default: 22.',
  'settings.parallel.remote.hosts[].slots': 'Branches this host runs at once. Default: `max_channels_per_host`.',
  'settings.parallel.remote.hosts[].identity_file': 'Private key for this host only (overrides `remote.identity_file`).',
  'settings.parallel.remote.known_hosts': 'OpenSSH known_hosts file used to verify host keys (and, with `accept-new`, to record new ones).',
  'settings.parallel.remote.keepalive_count_max': 'Unanswered keepalive probes after which the connection counts as lost.',
};

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  const?: unknown;
}

export interface ConfigKey {
  path: string;
  type: string;
  default: string;
  description: string | undefined;
}

export interface Sources {
  /** Text of src/config/parallel.ts and src/config/remote.ts. */
  parallel: string;
  remote: string;
}

/** The body of `NAME = z.strictObject({ ... })` in either source file, or ''. */
function objectBody(sources: Sources, name: string): string {
  for (const source of [sources.parallel, sources.remote]) {
    const start = source.search(new RegExp(`\\b${name}\\s*=\\s*z\\.strictObject\\(\\{`));
    if (start < 0) continue;
    const end = source.indexOf('\n});', start);
    return source.slice(start, end < 0 ? undefined : end);
  }
  return '';
}

/** Doc comments of an object's keys (top-level keys are indented two spaces). */
export function keyComments(body: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\/\*\*([\s\S]*?)\*\/\s*\n\s{2}([A-Za-z_][A-Za-z0-9_]*)\s*:/g;
  for (let m = re.exec(body); m !== null; m = re.exec(body)) {
    const text = m[1]!
      .split('\n')
      .map((l) => l.replace(/^\s*\*?\s?/, '').trim())
      .filter((l) => l !== '')
      .join(' ');
    out.set(m[2]!, text);
  }
  return out;
}

/** The schema variable a key refers to (`retry: retrySchema.default(...)` -> retrySchema). */
function childSchemaName(body: string, key: string): string | undefined {
  return new RegExp(`\\n\\s{2}${key}\\s*:\\s*([A-Za-z_][A-Za-z0-9_]*Schema)\\b`).exec(body)?.[1];
}

function typeOf(s: JsonSchema): string {
  if (s.anyOf !== undefined) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === 'array' && s.items?.type !== undefined) return `array of ${typeOf(s.items)}${s.minItems === undefined ? '' : ` (at least ${s.minItems})`}`;
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : s.type ?? 'any';
  const bounds: string[] = [];
  const cap = (n: number) => n < Number.MAX_SAFE_INTEGER;
  if (s.minimum !== undefined) bounds.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && cap(s.maximum)) bounds.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  if (s.minItems !== undefined) bounds.push(`at least ${s.minItems}`);
  return bounds.length === 0 ? t : `${t} (${bounds.join(', ')})`;
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default === undefined) return required ? '*required*' : '—';
  if (s.type === 'object') return 'see keys';
  return `\`${JSON.stringify(s.default)}\``;
}

/** Every documented key, depth first, in schema order. */
export function configKeys(sources: Sources): ConfigKey[] {
  const opts = { io: 'input', unrepresentable: 'any' } as const;
  const root = z.toJSONSchema(parallelConfigSchema, opts) as JsonSchema;
  const host = z.toJSONSchema(hostObjectSchema, opts) as JsonSchema & { required?: string[] };
  const keys: ConfigKey[] = [];
  const walk = (prefix: string, schema: JsonSchema & { required?: string[] }, schemaName: string) => {
    const body = objectBody(sources, schemaName);
    const comments = keyComments(body);
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
      const path = `${prefix}.${name}`;
      const required = schema.required?.includes(name) === true && child.default === undefined;
      keys.push({
        path,
        type: typeOf(child),
        default: defaultOf(child, required),
        description: child.description ?? comments.get(name) ?? EXTRA[path],
      });
      // hosts entries are transformed (sshlogin string or object): document the object form.
      if (path === 'settings.parallel.remote.hosts') walk(`${path}[]`, host, 'hostObjectSchema');
      else if (child.properties !== undefined) walk(path, child, childSchemaName(body, name) ?? '');
    }
  };
  walk('settings.parallel', root, 'parallelConfigSchema');
  return keys;
}

const HEADER = `# Configuration reference

<!-- Generated by \`npm run docs:config\` from src/config/parallel.ts and src/config/remote.ts. Do not edit by hand: a unit test fails when this file differs from the schemas. -->

Every key of \`settings.parallel\` in a workflow YAML. Options are validated once, when the
workflow is loaded; an error names the key's path (e.g. \`settings.parallel.remote.hosts[1].port\`).
Unknown keys are rejected. Durations are in seconds.

\`\`\`yaml
settings:
  parallel:
    strategy: remote
    timeout_seconds: 600
    retry: { max_retries: 2 }
    remote:
      hosts: ["4/tea@10.0.0.5", { host: 10.0.0.6, user: tea, slots: 8 }]
      identity_file: ~/.ssh/id_ed25519
\`\`\`

`;

export function renderConfigDocs(sources: Sources): string {
  const keys = configKeys(sources);
  const sections = new Map<string, ConfigKey[]>();
  for (const key of keys) {
    const section = key.path.slice(0, key.path.lastIndexOf('.'));
    sections.set(section, [...(sections.get(section) ?? []), key]);
  }
  let out = HEADER;
  for (const [section, rows] of sections) {
    out += `## \`${section}\`\n\n| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n`;
    for (const row of rows) {
      const name = row.path.slice(section.length + 1);
      out += `| \`${name}\` | ${row.type} | ${row.default} | ${(row.description ?? '').replace(/\|/g, '\\|')} |\n`;
    }
    out += '\n';
  }
  return out;
}
