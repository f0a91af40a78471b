import { codeCachesBeside } from '../../util/code-cache';
import type { Basefile } from './basefile';
import { nodePlatformOf } from './basefile';
import type { HostPlatform } from './basefile-choice';

/**
 * The JS artifact's V8 code cache (src/util/code-cache.ts) to stage beside the basefile
 * on a host: the one this machine's runs wrote beside the local file, when the host runs
 * the same Node version on the same architecture, so it can take it. Without it the
 * first branches on a fresh host all start cold (~90 ms more CPU each) and each writes
 * its own cache; with it every branch starts warm. V8 refuses a cache it cannot use
 * (other V8 flags), and the host's first run then writes its own.
 */
export interface ShippedCodeCache {
  localPath: string;
  /** Appended to the remote basefile path: `.<program hash>-<node version>-<arch>.v8cache`. */
  suffix: string;
}

export function codeCacheToShip(basefile: Basefile, host: HostPlatform): ShippedCodeCache | null {
  if (basefile.kind !== 'js' || host.node === null) return null;
  const arch = nodePlatformOf(host.os, host.machine)?.split('-')[1];
  if (arch === undefined) return null;
  const newest = codeCachesBeside(basefile.localPath, host.node.version, arch)[0];
  return newest === undefined ? null : { localPath: newest, suffix: newest.slice(basefile.localPath.length) };
}
