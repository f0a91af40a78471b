import type { ParallelExecutor } from './types';

/**
 * An executor whose implementation is loaded on its first fan-out. Every `tea run` on a
 * remote host is a fresh process that never opens SSH itself; loading ssh2 eagerly
 * would cost each branch ~40 ms of startup, child_process ~10 ms.
 */
export function lazyExecutor(name: ParallelExecutor['name'], load: () => Promise<ParallelExecutor>): ParallelExecutor {
  let loaded: Promise<ParallelExecutor> | undefined;
  return {
    name,
    async execute(flows, config, signal) {
      loaded ??= load();
      return (await loaded).execute(flows, config, signal);
    },
    async close() {
      // Nothing to release when nothing loaded (or loading failed: execute reported that).
      const executor = await loaded?.catch(() => undefined);
      await executor?.close?.();
    },
  };
}
