import type { RunEvent } from '../../../src/events';
import type { ExecutorContext } from '../../../src/executors/context';
import type { Flow } from '../../../src/executors/types';
import type { Logger } from '../../../src/log';

/** A workflow whose branches run real code on the host and report where they ran. */
export const FANOUT_YAML = `
name: remote-fanout
initial_state: { n: 1 }
settings:
  parallel:
    strategy: remote
    remote:
      hosts: [build-1, build-2]   # the real hosts come from the test fixture
nodes:
  - name: start
    run: |
      return { started: true };
  - name: work
    run: |
      return { doubled: state.n * 2, pid: process.pid, cwd: process.cwd(), echo: state.payload ?? null };
  - name: shout
    run: |
      return { shout: String(state.word ?? '').toUpperCase() + '!' };
  - name: fail
    run: |
      process.stderr.write('about to fail\\n');
      throw new Error('branch failed on purpose: ' + state.n);
  - name: join
    run: |
      return { joined: parallel_results.length };
edges:
  - { from: __start__, to: start }
  - { from: start, to: [work, shout], type: parallel, fan_in: join }
  - { from: work, to: join }
  - { from: shout, to: join }
  - { from: fail, to: join }
  - { from: join, to: __end__ }
`;

export interface Captured {
  context: ExecutorContext;
  logs: string[];
  events: RunEvent[];
}

export function capture(workflowText = FANOUT_YAML): Captured {
  const logs: string[] = [];
  const events: RunEvent[] = [];
  const log = (level: string) => (message: string) => logs.push(`${level}: ${message}`);
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  return { context: { workflowText, logger, events: (e) => events.push(e) }, logs, events };
}

export const flow = (entryPoint: string, state: Record<string, unknown> = {}): Flow => ({ entryPoint, exitPoint: 'join', state });
