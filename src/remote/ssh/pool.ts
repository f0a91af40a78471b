import type { RemoteConfig } from '../../config/remote';
import type { EventSink } from '../../events';
import type { Logger } from '../../log';
import { HostConnection } from './connection';
import type { HostKeysFor } from './client-config';
import { HostKeyPolicy } from '../trust/host-key-policy';
import type { HostSpec } from '../trust/hosts';
import { Semaphore } from '../../util/semaphore';

/** One HostConnection per host; handshakes across all hosts are bounded (sshd MaxStartups). */
export class ConnectionPool {
  readonly #connections = new Map<string, HostConnection>();

  constructor(hosts: readonly HostSpec[], config: RemoteConfig, logger: Logger, events: EventSink) {
    // One policy per known_hosts file and mode (ssh_config may give hosts their own); all pin per run.
    const policies = new Map<string, HostKeyPolicy>();
    const hostKeys: HostKeysFor = (spec) => {
      const key = `${spec.strictHostKeyChecking}\0${spec.knownHosts}`;
      let policy = policies.get(key);
      if (policy === undefined) policies.set(key, (policy = new HostKeyPolicy(spec.knownHosts, spec.strictHostKeyChecking, logger)));
      return policy;
    };
    const handshakes = new Semaphore(config.max_concurrent_handshakes);
    const settings = {
      keepaliveIntervalSeconds: config.keepalive_interval,
      keepaliveCountMax: config.keepalive_count_max,
      maxChannels: config.max_channels_per_host,
      sftpTimeoutSeconds: config.sftp_timeout,
      channelWaitSeconds: config.channel_wait,
    };
    for (const spec of hosts) {
      this.#connections.set(spec.id, new HostConnection(spec, settings, hostKeys, handshakes, logger, events));
    }
  }

  get(hostId: string): HostConnection {
    const connection = this.#connections.get(hostId);
    if (connection === undefined) throw new Error(`unknown host ${hostId}`);
    return connection;
  }

  all(): HostConnection[] {
    return [...this.#connections.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((c) => c.close()));
  }
}
