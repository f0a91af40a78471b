import { MIN_NODE_MAJOR, describeBasefile, nodePlatformOf, type Basefile, type BasefileCatalog } from './basefile';
import { elfMismatch } from './elf';

/** What the basefile choice needs to know about a host (from the preflight probe). */
export interface HostPlatform {
  /** `uname -s`, e.g. Linux. */
  os: string;
  /** `uname -m`, e.g. x86_64. */
  machine: string;
  /** The `node` on the PATH of an exec session, if any. */
  node: { version: string; major: number } | null;
}

export type BasefileChoice = { ok: true; basefile: Basefile; why: string } | { ok: false; reason: string };

function nodeText(host: HostPlatform): string {
  return host.node === null ? 'no node on its PATH' : `Node ${host.node.version}`;
}

const hasNode = (host: HostPlatform) => host.node !== null && host.node.major >= MIN_NODE_MAJOR;

/** Why this basefile cannot run on the host, or null when it can. */
export function basefileMismatch(basefile: Basefile, host: HostPlatform): string | null {
  if (basefile.kind === 'binary') {
    const why = elfMismatch(basefile.elf!, host.os, host.machine);
    return why === null ? null : `${describeBasefile(basefile)} cannot run there: ${why}`;
  }
  if (basefile.kind === 'js' && !hasNode(host)) {
    return `${describeBasefile(basefile)} needs Node >= ${MIN_NODE_MAJOR} and the host has ${nodeText(host)}: install Node there, or ship the standalone binary (leave basefile unset; see docs/binary.md)`;
  }
  return null;
}

/**
 * The file a host gets as `tea`: the configured basefile when set (if it can run
 * there); else the JS artifact when the host has Node >= 18 (1.8 MiB instead of
 * ~85), else the standalone binary for the host's platform.
 */
export function chooseBasefile(catalog: BasefileCatalog, host: HostPlatform): BasefileChoice {
  const configured = catalog.configured;
  if (configured !== null) {
    const mismatch = basefileMismatch(configured, host);
    return mismatch === null
      ? { ok: true, basefile: configured, why: 'set in settings.parallel.remote.basefile' }
      : { ok: false, reason: mismatch };
  }
  const js = catalog.jsArtifact();
  if (js !== null && hasNode(host)) return { ok: true, basefile: js, why: `the host has ${nodeText(host)} (>= ${MIN_NODE_MAJOR})` };

  const platform = nodePlatformOf(host.os, host.machine);
  const noNode = hasNode(host) ? 'this tea has no JS artifact (it is the standalone binary)' : `the host has ${nodeText(host)}${host.node === null ? '' : ` (< ${MIN_NODE_MAJOR})`}`;
  if (platform === null) return { ok: false, reason: `${noNode}, and no standalone tea binary exists for ${host.os} ${host.machine}` };
  const binary = catalog.binaryFor(platform);
  if (binary === null) {
    return {
      ok: false,
      reason: `${noNode}, and there is no standalone tea binary for ${platform} (tea-${platform} beside dist/tea): build one (npm run build:binary; other platforms: docs/binary.md), or install Node >= ${MIN_NODE_MAJOR} on the host`,
    };
  }
  const mismatch = basefileMismatch(binary, host);
  if (mismatch !== null) return { ok: false, reason: mismatch };
  return { ok: true, basefile: binary, why: noNode };
}
