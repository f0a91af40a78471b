import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { remoteConfigSchema } from '../../src/config/remote';
import { ignoreEvents } from '../../src/events';
import { silentLogger } from '../../src/log';
import { ConnectionPool } from '../../src/remote/ssh/pool';
import { resolveHosts } from '../../src/remote/trust/hosts';
import type { BenchCluster, BenchHost } from './cluster';

/**
 * A pool of one bench host, built from the config tea-remote itself would parse, for rows that
 * drive src/remote modules in this process. The caller connects `connection` and closes `pool`.
 */
export function singleHostPool(cluster: BenchCluster, host: BenchHost, workdir: string) {
  const remote = remoteConfigSchema.parse({
    hosts: [host.sshlogin],
    identity_file: cluster.keyPath,
    known_hosts: cluster.knownHostsPath,
    strict_host_key_checking: 'yes',
    workdir,
  });
  const [spec] = resolveHosts(remote);
  const pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
  return { pool, connection: pool.get(spec!.id) };
}

/** Milliseconds since a `process.hrtime.bigint()` reading. */
export const msSince = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e6;

/** A file of random (incompressible) bytes, written 1 MiB at a time. */
export function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += 1 << 20) writeSync(fd, randomBytes(Math.min(1 << 20, bytes - done)));
  } finally {
    closeSync(fd);
  }
}
