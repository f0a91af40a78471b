import { createAgent } from 'ssh2';

/** What asking an ssh-agent for its keys gave: how many, or why it could not be asked. */
export type AgentKeys = { ok: true; count: number } | { ok: false; reason: string };

const known = new Map<string, AgentKeys>();

/**
 * Asks the agent at `socket` (socket path, Windows pipe or `pageant`) how many keys it
 * holds, within `timeoutMs`. Remembered per socket for the process, so the message of a
 * later authentication failure can say "holds no keys" without asking again.
 */
export function countAgentKeys(socket: string, timeoutMs = 3000): Promise<AgentKeys> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: AgentKeys) => {
      if (settled) return; // an answer after the deadline changes nothing
      settled = true;
      clearTimeout(timer);
      known.set(socket, outcome);
      resolve(outcome);
    };
    // The agent protocol has no deadline of its own; an agent that never answers is "not usable".
    const timer = setTimeout(() => done({ ok: false, reason: `no answer within ${timeoutMs / 1000}s` }), timeoutMs);
    timer.unref();
    try {
      createAgent(socket).getIdentities((error, keys) => {
        if (error) done({ ok: false, reason: error.message });
        else done({ ok: true, count: keys?.length ?? 0 });
      });
    } catch (error) {
      done({ ok: false, reason: (error as Error).message });
    }
  });
}

/** The key count found by an earlier countAgentKeys for this socket, if any. */
export function knownAgentKeys(socket: string): number | undefined {
  const outcome = known.get(socket);
  return outcome?.ok === true ? outcome.count : undefined;
}
