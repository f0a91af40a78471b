import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
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
 */
export class HostKeyPolicy {
  readonly #path: string;
  readonly #warnedNo = new Set<string>();

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
      return readFileSync(this.#path, 'utf8');
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

  /** Returns null when the key is accepted, else the error to fail the connection with. */
  verify(hostId: string, host: string, port: number, key: Buffer): TeaError | null {
    const name = lookupName(host, port);
    const presented = `${keyTypeOf(key)} ${fingerprint(key)}`;
    // Even "no" refuses a revoked or changed key: it only skips checking hosts known_hosts does not list.
    const status = checkHostKey(this.#entries(), name, key);
    switch (status.status) {
      case 'known':
        return null;
      case 'revoked':
        return new TeaError('E_HOST_KEY_REJECTED', `${hostId}: host key ${presented} is marked @revoked in ${this.#path}; refusing to connect`, { host: hostId });
      case 'changed':
        return new TeaError(
          'E_HOST_KEY_REJECTED',
          `${hostId}: HOST KEY CHANGED for ${name}: presented ${presented}, known ${status.knownFingerprints.join(', ')} (${this.#path} line ${status.lines.join(', ')}). ` +
            `This may be an attack. If the host was really reinstalled, remove the old entry (ssh-keygen -R '${name}' -f ${this.#path}) and retry`,
          { host: hostId },
        );
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
