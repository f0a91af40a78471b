import { appendFileSync, mkdirSync } from 'node:fs';
import { readRegularFileSync } from '../../util/regular-file';
import { dirname } from 'node:path';
import { TeaError } from '../../errors';
import type { Logger } from '../../log';
import { expandHome } from './hosts';
import {
  checkHostKey,
  fingerprint,
  knownHostsAppendText,
  keyTypeOf,
  knownKeyTypes,
  lookupName,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts';

export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no';

const ALGORITHMS_FOR_TYPE: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Decides whether a presented host key is trusted, with OpenSSH's
 * StrictHostKeyChecking meanings for unknown hosts (yes: refuse; accept-new: record;
 * no: accept with a warning, record nothing). A changed or revoked key is always
 * refused, whatever the mode (stricter than ssh, which lets "no" continue).
 *
 * Keys are pinned per run (one policy per run): the key a host showed at its first
 * accepted handshake is the only one accepted for it afterwards, in every mode, so a
 * reconnect after a lost connection cannot land on another machine even when
 * known_hosts has no entry ("no") or was edited meanwhile.
 */
export class HostKeyPolicy {
  readonly #path: string;
  readonly #warnedNo = new Set<string>();
  /** lookupName -> the key accepted first in this run. */
  readonly #pinned = new Map<string, Buffer>();

  constructor(
    knownHostsPath: string,
    private readonly mode: StrictHostKeyChecking,
    private readonly logger: Logger,
  ) {
    this.#path = expandHome(knownHostsPath);
  }

  get path(): string {
    return this.#path;
  }

  /** The file's text; a missing file is empty. */
  #text(): string {
    try {
      return readRegularFileSync(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
  }

  #entries(): KnownHostEntry[] {
    return parseKnownHosts(this.#text());
  }

  /** Host key algorithms to ask for first: the types already known for this host, as ssh does. */
  preferredAlgorithms(host: string, port: number): string[] {
    return knownKeyTypes(this.#entries(), lookupName(host, port)).flatMap((t) => ALGORITHMS_FOR_TYPE[t] ?? [t]);
  }

  /** The keys accepted so far in this run, by OpenSSH lookup name (`[host]:port`). */
  pinnedKeys(): ReadonlyMap<string, Buffer> {
    return this.#pinned;
  }

  /** Returns null when the key is accepted (and pins it), else the error to fail the connection with. */
  verify(hostId: string, host: string, port: number, key: Buffer): TeaError | null {
    const name = lookupName(host, port);
    const presented = `${keyTypeOf(key)} ${fingerprint(key)}`;
    // Even "no" refuses a revoked or changed key: it only skips checking hosts known_hosts does not list.
    const status = checkHostKey(this.#entries(), name, key);
    if (status.status === 'revoked') {
      return new TeaError('E_HOST_KEY_REJECTED', `${hostId}: host key ${presented} is marked @revoked in ${this.#path}; refusing to connect`, { host: hostId });
    }
    if (status.status === 'changed') {
      return new TeaError(
        'E_HOST_KEY_REJECTED',
        `${hostId}: HOST KEY CHANGED for ${name}: presented ${presented}, known ${status.knownFingerprints.join(', ')} (${this.#path} line ${status.lines.join(', ')}). ` +
          `This may be an attack. If the host was really reinstalled, remove the old entry (ssh-keygen -R '${name}' -f ${this.#path}) and retry`,
        { host: hostId },
      );
    }
    // The pin is checked before "unknown" is handled: accept-new must not record a second key.
    const pinned = this.#pinned.get(name);
    if (pinned !== undefined) {
      if (pinned.equals(key)) return null;
      return new TeaError(
        'E_HOST_KEY_REJECTED',
        `${hostId}: HOST KEY CHANGED during this run for ${name}: presented ${presented}, ` +
          `this run accepted ${keyTypeOf(pinned)} ${fingerprint(pinned)} at its first connection. Refusing to reconnect: this may be an attack. ` +
          'If the host was really reinstalled, check its new fingerprint and start a new run',
        { host: hostId },
      );
    }
    const error = this.#unlisted(status.status, hostId, name, host, port, key, presented);
    if (error === null) this.#pinned.set(name, Buffer.from(key));
    return error;
  }

  /** Known (listed with this key) or unknown: the mode decides. */
  #unlisted(status: 'known' | 'unknown', hostId: string, name: string, host: string, port: number, key: Buffer, presented: string): TeaError | null {
    switch (status) {
      case 'known':
        return null;
      case 'unknown':
        if (this.mode === 'no') {
          if (!this.#warnedNo.has(hostId)) {
            this.#warnedNo.add(hostId);
            this.logger.warn(`${hostId}: strict_host_key_checking is "no": accepting host key ${presented} WITHOUT verification; anyone on the path can impersonate this host`);
          }
          return null;
        }
        if (this.mode === 'yes') {
          return new TeaError(
            'E_HOST_KEY_REJECTED',
            `${hostId}: host ${name} is not in ${this.#path} and strict_host_key_checking is "yes". Add its key (ssh-keyscan -p ${port} ${host} >> ${this.#path}, then check the fingerprint ${presented}) or use "accept-new"`,
            { host: hostId },
          );
        }
        mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
        appendFileSync(this.#path, knownHostsAppendText(this.#text(), name, key), { mode: 0o600 });
        this.logger.warn(`${hostId}: permanently added ${presented} for ${name} to ${this.#path}`);
        return null;
    }
  }
}
