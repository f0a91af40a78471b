import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runWorkflow, type RunOptions } from '../../../src/engine/run-workflow';
import { TeaError } from '../../../src/errors';
import type { RunEvent } from '../../../src/events';
import { loadWorkflow } from '../../../src/workflow/load';

const run = (yaml: string, options: RunOptions = {}) => runWorkflow(loadWorkflow(yaml), options);

async function failure(promise: Promise<unknown>): Promise<TeaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TeaError);
    return error as TeaError;
  }
  throw new Error('expected the run to fail');
}

describe('runWorkflow: sequential runs', () => {
  it('merges object returns shallowly, wraps other values as { result }, and ignores undefined', async () => {
    const state = await run(`
initial_state: { keep: 1, nested: { a: 1 } }
nodes:
  - name: obj
    run: 'return { x: 1, nested: { b: 2 } }'
  - name: nothing
    run: "state.x; // no return"
  - name: num
    run: return 42
  - name: arr
    run: return [1, 2]
  - name: nul
    run: return null
`);
    expect(state).toEqual({ keep: 1, nested: { b: 2 }, x: 1, result: null });
  });

  it('awaits async bodies and gives them variables, process, require and a signal', async () => {
    const state = await run(`
variables: { greeting: hello }
nodes:
  - name: a
    run: |
      await new Promise((r) => setTimeout(r, 5));
      return {
        greeting: variables.greeting,
        pid: process.pid,
        sep: require('node:path').sep,
        hasSignal: signal instanceof AbortSignal,
      };
`);
    expect(state).toEqual({ greeting: 'hello', pid: process.pid, sep: '/', hasSignal: true });
  });

  it('resolves require() in node bodies beside the workflow file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tea-req-'));
    writeFileSync(path.join(dir, 'helper.js'), 'module.exports = (x) => x * 3;');
    const wf = loadWorkflow(`nodes:\n  - name: a\n    run: "return { y: require(\'./helper\')(state.x) }"\n`, { path: path.join(dir, 'wf.yaml') });
    expect(await runWorkflow(wf, { input: { x: 2 } })).toEqual({ x: 2, y: 6 });
  });

  it('follows conditional edges, including loops, and fails naming the node when no edge matches', async () => {
    const loop = `
nodes:
  - name: inc
    run: 'return { n: (state.n ?? 0) + 1 }'
  - name: big
    run: "return { size: 'big' }"
  - name: small
    run: "return { size: 'small' }"
edges:
  - { from: inc, to: inc, when: "state.n < 5" }
  - { from: inc, to: big, when: "state.n >= variables.limit" }
  - { from: inc, to: small, condition: { type: expression, value: "state.n >= variables.limit" }, when: false }
variables: { limit: 10 }
`;
    expect(await run(loop)).toEqual({ n: 5, size: 'small' });
    const stuck = await failure(run(`nodes: [{ name: a }, { name: b }]\nedges:\n  - { from: a, to: b, when: "state.go" }\n`));
    expect(stuck.code).toBe('E_NODE_FAILED');
    expect(stuck.message).toMatch(/^no edge out of "a" matched the state/);
  });

  it('reports a failing node and a failing condition by name', async () => {
    const node = await failure(run(`nodes:\n  - name: boom\n    run: throw new Error('kaput')\n`));
    expect(node.code).toBe('E_NODE_FAILED');
    expect(node.message).toBe('node "boom" failed: kaput');
    expect((node.cause as Error).message).toBe('kaput');
    const cond = await failure(run(`nodes: [{ name: a }, { name: b }]\nedges:\n  - { from: a, to: b, when: "state.x.y" }\n`));
    expect(cond.message).toMatch(/^condition of edges\[0\] \(state\.x\.y\) failed: TypeError/);
  });

  it('merges the input over initial_state at the start', async () => {
    const state = await run(`initial_state: { a: 1, b: 1 }\nnodes: [{ name: n }]\n`, { input: { b: 2 } });
    expect(state).toEqual({ a: 1, b: 2 });
  });
});

describe('runWorkflow: scoped runs', () => {
  const chain = `
initial_state: { fromInitial: true }
nodes:
  - { name: a, run: "return { trail: [...(state.trail ?? []), 'a'] }" }
  - { name: b, run: "return { trail: [...(state.trail ?? []), 'b'] }" }
  - { name: c, run: "return { trail: [...(state.trail ?? []), 'c'] }" }
  - { name: d, run: "return { trail: [...(state.trail ?? []), 'd'] }" }
`;

  it('runs the entry point, stops before the exit point, and starts from the input as is', async () => {
    expect(await run(chain, { entryPoint: 'b', exitPoint: 'd', input: { trail: ['x'] } })).toEqual({ trail: ['x', 'b', 'c'] });
  });

  it('runs to the end without an exit point and from the start without an entry point', async () => {
    expect(await run(chain, { entryPoint: 'c' })).toEqual({ trail: ['c', 'd'] });
    expect(await run(chain, { exitPoint: 'c' })).toEqual({ fromInitial: true, trail: ['a', 'b'] });
  });

  it('validates the scope before any node runs', async () => {
    const wf = `nodes:\n  - { name: a, run: "throw new Error('must not run')" }\n  - { name: b }\n`;
    expect((await failure(run(wf, { entryPoint: 'zz' }))).code).toBe('E_SCOPE_INVALID');
    expect((await failure(run(wf, { entryPoint: 'b', exitPoint: 'a' }))).message).toBe('no path from "b" to "a"');
  });

  it('rejects a non-object input', async () => {
    expect((await failure(run(chain, { input: [] as unknown as Record<string, unknown> }))).code).toBe('E_INPUT_INVALID');
  });
});

describe('runWorkflow: cancellation', () => {
  it('stops between nodes when the signal aborts, and a waiting node can watch the signal', async () => {
    const controller = new AbortController();
    const ran: string[] = [];
    (globalThis as Record<string, unknown>).__teaRan = ran;
    const promise = run(
      `
nodes:
  - name: a
    run: "globalThis.__teaRan.push('a'); await new Promise((r, j) => signal.addEventListener('abort', () => j(new Error('stopped'))))"
  - name: b
    run: "globalThis.__teaRan.push('b')"
`,
      { signal: controller.signal },
    );
    // Abort once node a waits (not after a fixed delay: under load the run may not have reached it).
    const poll = setInterval(() => {
      if (ran.length > 0) {
        clearInterval(poll);
        controller.abort(new TeaError('E_CANCELLED', 'interrupted by test'));
      }
    }, 5);
    const error = await failure(promise);
    clearInterval(poll);
    expect(error.code).toBe('E_CANCELLED');
    expect(error.message).toBe('interrupted by test');
    expect(ran).toEqual(['a']);
  });

  it('turns a plain abort into E_CANCELLED and lets timers fire during a busy loop of nodes', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await failure(run(`nodes:\n  - name: spin\n    run: 'return { n: (state.n ?? 0) + 1 }'\nedges:\n  - { from: spin, to: spin, when: 'true' }\n  - { from: spin, to: __end__ }\n`, { signal: controller.signal }));
    expect(error.code).toBe('E_CANCELLED');
  });
});

describe('runWorkflow: events', () => {
  it('reports which method runs branches', async () => {
    const events: RunEvent[] = [];
    await run(`nodes: [{ name: s }, { name: a }, { name: j }]\nedges:\n  - { from: s, to: a, type: parallel, fan_in: j }\n  - { from: a, to: j }\n`, {
      events: (e) => events.push(e),
    });
    expect(events.find((e) => e.type === 'method')).toEqual({ type: 'method', method: 'thread', reason: 'parallel strategy "thread"' });
    expect(events.map((e) => e.type)).toEqual(['fanout:started', 'method', 'flow:started', 'flow:finished', 'fanout:finished']);
    expect(events[0]).toEqual({ type: 'fanout:started', node: 's', fan_in: 'j', branches: [{ branch: 'a', strategy: 'thread' }] });
    expect(events.at(-1)).toMatchObject({ type: 'fanout:finished', node: 's', results: [{ branch: 'a', strategy: 'thread', success: true, attempts: [{ host: 'local', ok: true }] }] });
  });
});
