import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client } from 'ssh2';
import { TeaError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import { clientConfig, type HostKeysFor, type KeepaliveSettings } from './client-config';
import { connectError } from './connect-errors';
import type { HostSpec } from '../trust/hosts';

/** The byte stream an SSH connection runs over, and how to let go of it (and of its jump hosts). */
export interface Transport {
  sock: Duplex;
  close(): void;
}

export interface TransportDeps {
  hostKeys: HostKeysFor;
  keepalive: KeepaliveSettings;
  logger: Logger;
}

/**
 * A TCP socket with TCP_NODELAY (without it every small SSH request waits ~40 ms:
 * Nagle + delayed ACK), or, with ProxyJump, a `direct-tcpip` channel opened on an
 * ssh2 connection to the last jump host: pure Node, no `ssh -W` process. Every jump
 * host is verified against known_hosts and authenticated like a target host.
 * Errors from a direct connection are raw (the caller classifies them); errors at a
 * jump host are TeaErrors naming both the target and the jump host.
 */
export async function openTransport(spec: HostSpec, deps: TransportDeps, signal: AbortSignal): Promise<Transport> {
  if (spec.jumps.length === 0) {
    const sock = await tcp(spec.host, spec.port, signal);
    return { sock, close: () => sock.destroy() };
  }
  const clients: Client[] = [];
  const close = () => {
    for (const client of [...clients].reverse()) client.end();
  };
  let hop = spec.jumps[0]!;
  try {
    let sock: Duplex = await tcp(hop.host, hop.port, signal);
    for (let k = 0; k < spec.jumps.length; k += 1) {
      hop = spec.jumps[k]!;
      const client = await sshHop(hop, sock, deps, signal);
      clients.push(client);
      const next = spec.jumps[k + 1] ?? spec;
      sock = await forward(client, hop, next, signal);
    }
    return { sock, close };
  } catch (error) {
    close();
    if (signal.aborted && error === signal.reason) throw error;
    const inner = error instanceof TeaError ? error : connectError(hop, error, hop.connectTimeoutSeconds);
    throw new TeaError(inner.code, `${spec.id}: via ProxyJump ${inner.message}`, { host: spec.id, cause: inner });
  }
}

function tcp(host: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const sock = tcpConnect({ host, port });
    sock.setNoDelay(true);
    const onAbort = () => {
      sock.destroy();
      reject(signal.reason);
    };
    const onError = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      resolve(sock);
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** An authenticated connection to a jump host over `sock`. */
function sshHop(spec: HostSpec, sock: Duplex, deps: TransportDeps, signal: AbortSignal): Promise<Client> {
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    let hostKeyError: TeaError | null = null;
    const client = new Client();
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.end();
      sock.destroy();
      reject(hostKeyError ?? error);
    };
    const onAbort = () => fail(signal.reason);
    client.on('error', (error: Error & { level?: string }) => {
      if (error.level === 'agent') return deps.logger.warn(`${spec.id}: ssh-agent ${spec.agent} not usable (${error.message}): trying identity files`);
      // After ready, a jump host's failure shows up as the target connection closing.
      if (!settled) fail(error);
    });
    client.on('close', () => fail(new Error('connection closed during handshake')));
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(client);
    });
    signal.addEventListener('abort', onAbort, { once: true });
    client.connect(clientConfig(spec, sock, deps.hostKeys(spec), deps.keepalive, (error) => (hostKeyError = error)));
  });
}

/**
 * A `direct-tcpip` channel from the jump host to `next`. Honours `signal`: an abort
 * rejects at once (the caller then ends the jump connections), and a channel that
 * arrives after that is destroyed instead of leaking.
 */
function forward(client: Client, jump: HostSpec, next: HostSpec, signal: AbortSignal): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.off('close', onClose);
      fn();
    };
    const refused = (error: unknown) =>
      settle(() =>
        reject(
          new TeaError(
            'E_CONNECT_FAILED',
            `${jump.id}: cannot open a connection to ${next.host}:${next.port} (${errorMessage(error)}): is sshd listening there, and does ${jump.alias} allow TCP forwarding (AllowTcpForwarding)?`,
            { host: jump.id, cause: error },
          ),
        ),
      );
    const onAbort = () => settle(() => reject(signal.reason));
    // The jump host went away before answering: without this the wait would be unbounded.
    const onClose = () => refused(new Error('the jump connection closed'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    client.once('close', onClose);
    try {
      client.forwardOut('127.0.0.1', 0, next.host, next.port, (error, stream) => {
        if (error) return refused(error);
        if (settled) return stream.destroy(); // aborted meanwhile: do not leak the channel
        settle(() => resolve(stream));
      });
    } catch (error) {
      refused(error);
    }
  });
}
