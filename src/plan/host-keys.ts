import { writeFile } from 'node:fs/promises';
import { Client } from 'ssh2';
import { TeaError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { openTransport } from '../remote/ssh/transport';
import { HostKeyPolicy } from '../remote/trust/host-key-policy';
import type { HostSpec } from '../remote/trust/hosts';
import { formatKnownHostLine, lookupName } from '../remote/trust/known-hosts';

/**
 * The GNU Parallel path's host keys get the ssh2 path's policy (docs/security.md): before
 * GNU Parallel's ssh logs in anywhere, tea fetches each host's key over ssh2 (the handshake
 * stops before authentication) and decides on it with HostKeyPolicy: known_hosts and
 * strict_host_key_checking, a changed or @revoked key refused in every mode, and the key
 * pinned for the whole run (one PlanHostKeys per run, shared by its fan-outs). The accepted
 * keys are written to a per-fan-out known_hosts file that GNU Parallel's ssh (its rsync and
 * the cleanup sweep too) use alone, with StrictHostKeyChecking=yes: a host that shows any
 * other key during the run, on any of GNU Parallel's many logins, is refused by ssh itself.
 */
export class PlanHostKeys {
  readonly #policies = new Map<string, HostKeyPolicy>();
  /** lookupName -> the key accepted in this run (the policies pin it too). */
  readonly #keys = new Map<string, Buffer>();

  constructor(private readonly logger: Logger) {}

  #policy(spec: HostSpec): HostKeyPolicy {
    const key = `${spec.strictHostKeyChecking}\0${spec.knownHosts}`;
    let policy = this.#policies.get(key);
    if (policy === undefined) this.#policies.set(key, (policy = new HostKeyPolicy(spec.knownHosts, spec.strictHostKeyChecking, this.logger)));
    return policy;
  }

  /**
   * Checks every host's key; writes the accepted ones (under the host's real name and the name
   * written in `hosts`) to `file` (0600). Returns the hosts whose key was refused, with why. A
   * host that cannot be reached now is not refused: it gets no line, so GNU Parallel's ssh
   * cannot log in there either (StrictHostKeyChecking=yes) and its jobs fail as connect failures.
   */
  async pin(specs: readonly HostSpec[], aliases: ReadonlyMap<string, string>, file: string, signal: AbortSignal): Promise<Map<string, TeaError>> {
    const refused = new Map<string, TeaError>();
    await Promise.all(
      specs.map(async (spec) => {
        const error = await this.#check(spec, signal);
        if (error === null) return;
        if (error.code === 'E_HOST_KEY_REJECTED') refused.set(spec.id, error);
        else this.logger.debug(`gnu-parallel: ${spec.id}: no host key to pin now (${error.message}); its ssh logins will be refused`);
      }),
    );
    const lines: string[] = [];
    for (const spec of specs) {
      const key = this.#keys.get(lookupName(spec.host, spec.port));
      if (refused.has(spec.id) || key === undefined) continue;
      const names = new Set([lookupName(spec.host, spec.port), lookupName(aliases.get(spec.id) ?? spec.host, spec.port)]);
      for (const name of names) lines.push(formatKnownHostLine(name, key));
    }
    await writeFile(file, lines.join(''), { mode: 0o600 });
    return refused;
  }

  /** One handshake up to the host key; null when the policy accepts it. */
  async #check(spec: HostSpec, signal: AbortSignal): Promise<TeaError | null> {
    const policy = this.#policy(spec);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(spec.connectTimeoutSeconds * 1000)]);
    let transport: Awaited<ReturnType<typeof openTransport>> | null = null;
    try {
      transport = await openTransport(spec, { hostKeys: (s) => this.#policy(s), keepalive: { keepaliveIntervalSeconds: 0, keepaliveCountMax: 1 }, logger: this.logger }, deadline);
      const sock = transport.sock;
      return await new Promise<TeaError | null>((resolve) => {
        const client = new Client();
        let decided: TeaError | null | undefined;
        const finish = (error: TeaError | null) => {
          deadline.removeEventListener('abort', onAbort);
          client.end();
          resolve(error);
        };
        const onAbort = () => finish(new TeaError('E_CONNECT_FAILED', `${spec.id}: no host key within ${spec.connectTimeoutSeconds}s`, { host: spec.id }));
        deadline.addEventListener('abort', onAbort, { once: true });
        // The verifier always answers "no": the handshake ends before any key is offered.
        client.on('error', (error) => finish(decided !== undefined ? decided : new TeaError('E_CONNECT_FAILED', `${spec.id}: ${error.message}`, { host: spec.id, cause: error })));
        client.on('close', () => finish(decided !== undefined ? decided : new TeaError('E_CONNECT_FAILED', `${spec.id}: closed before showing its host key`, { host: spec.id })));
        client.connect({
          sock: sock as never,
          username: spec.user,
          readyTimeout: spec.connectTimeoutSeconds * 1000,
          hostVerifier: (key: Buffer) => {
            decided = policy.verify(spec.id, spec.host, spec.port, key);
            if (decided === null) this.#keys.set(lookupName(spec.host, spec.port), Buffer.from(key));
            return false;
          },
        });
      });
    } catch (error) {
      return error instanceof TeaError ? error : new TeaError('E_CONNECT_FAILED', `${spec.id}: ${errorMessage(error)}`, { host: spec.id, cause: error });
    } finally {
      transport?.close();
    }
  }
}
