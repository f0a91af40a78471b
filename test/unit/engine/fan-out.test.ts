import { runWorkflow, type RunOptions } from '../../../src/engine/run-workflow';
import { TeaError } from '../../../src/errors';
import { createExecutor, type ExecutorFactory } from '../../../src/executors/registry';
import type { Flow, ParallelExecutor, ParallelFlowResult } from '../../../src/executors/types';
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

const diamond = (settings = '', branchB = "return { b: state.n * 100 }") => `
${settings}
initial_state: { n: 1, shared: { list: [1] } }
nodes:
  - name: start
    run: "return { n: 2 }"
  - name: a
    run: |
      state.shared.list.push('a');   // mutating a branch's copy must not leak
      await new Promise((r) => setTimeout(r, 20));
      return { a: state.n * 10 }
  - name: b
    run: "${branchB}"
  - name: join
    run: |
      return {
        seen: parallel_results.map((r) => [r.branch, r.success, r.state && (r.state.a ?? r.state.b), r.error]),
        sharedAtJoin: state.shared.list,
        keysAtJoin: Object.keys(state).sort(),
      };
  - name: after
    run: "return { after: true }"
edges:
  - { from: start, to: [a, b], type: parallel, fan_in: join }
  - { from: a, to: join }
  - { from: b, to: join }
  - { from: join, to: after }
`;

describe('fan-out and fan-in', () => {
  it('runs each branch on its own copy and the fan-in on the pre-fan-out state, with results in edge order', async () => {
    const state = await run(diamond());
    expect(state).toEqual({
      n: 2,
      shared: { list: [1] },
      seen: [
        ['a', true, 20, null],
        ['b', true, 200, null],
      ],
      sharedAtJoin: [1],
      keysAtJoin: ['n', 'shared'], // branch updates are not merged
      after: true,
    });
  });

  it('gives the fan-in every result field', async () => {
    const wf = `
nodes:
  - { name: s }
  - { name: a, run: "return { a: 1 }" }
  - { name: j, run: "return { results: parallel_results }" }
edges:
  - { from: s, to: a, type: parallel, fan_in: j }
  - { from: a, to: j }
`;
    const [result] = (await run(wf)).results as ParallelFlowResult[];
    expect(result).toMatchObject({ branch: 'a', success: true, state: { a: 1 }, error: null, error_type: null, timeout: false, retry_count: 0 });
    expect(typeof result!.timing_ms).toBe('number');
  });

  it('fails the run with an error naming the failed branch', async () => {
    const error = await failure(run(diamond('', "throw new Error('bad b')")));
    expect(error.code).toBe('E_BRANCH_FAILED');
    expect(error.flow).toBe('b');
    expect(error.message).toBe('branch "b" failed: node "b" failed: bad b');
  });

  it('lets the fan-in decide with collect_failures', async () => {
    const state = await run(diamond('settings: { parallel: { collect_failures: true } }', "throw new Error('bad b')"));
    expect(state.seen).toEqual([
      ['a', true, 20, null],
      ['b', false, null, 'node "b" failed: bad b'],
    ]);
  });

  it('times a branch out, marks its result, and retries it per settings.parallel.retry', async () => {
    const wf = `
settings: { parallel: { timeout_seconds: 0.05, collect_failures: true, retry: { max_retries: 1, base_delay: 0, jitter: 0 } } }
nodes:
  - { name: s }
  - name: slow
    run: "await new Promise((r, j) => signal.addEventListener('abort', () => j(signal.reason)))"
  - { name: j, run: "return { results: parallel_results }" }
edges:
  - { from: s, to: slow, type: parallel, fan_in: j }
  - { from: slow, to: j }
`;
    const [result] = (await run(wf)).results as ParallelFlowResult[];
    expect(result).toMatchObject({ branch: 'slow', success: false, timeout: true, error_type: 'E_TIMEOUT', retry_count: 1 });
  });

  it('says how many attempts timed out and which setting to raise, naming the branch once', async () => {
    const wf = `
settings: { parallel: { timeout_seconds: 0.05, retry: { max_retries: 1, base_delay: 0, jitter: 0 } } }
nodes:
  - { name: s }
  - name: slow
    run: "await new Promise((r, j) => signal.addEventListener('abort', () => j(signal.reason)))"
  - { name: j }
edges:
  - { from: s, to: slow, type: parallel, fan_in: j }
  - { from: slow, to: j }
`;
    const error = await failure(run(wf));
    expect(error.code).toBe('E_BRANCH_FAILED');
    expect(error.message).toBe(
      'branch "slow" timed out after 0.05s on each of 2 attempts: raise settings.parallel.timeout_seconds if it needs longer, or find why it hangs',
    );
  });

  it('fans out again inside branches (nested fan-outs), also with max_workers 1', async () => {
    const wf = `
settings: { parallel: { max_workers: 1 } }
nodes:
  - { name: top }
  - { name: left }
  - { name: l1, run: "return { v: 'l1' }" }
  - { name: l2, run: "return { v: 'l2' }" }
  - { name: leftJoin, run: "return { left: parallel_results.map((r) => r.state.v) }" }
  - { name: right, run: "return { right: 'r' }" }
  - { name: join, run: "return { all: parallel_results.map((r) => r.state.left ?? r.state.right) }" }
edges:
  - { from: top, to: [left, right], type: parallel, fan_in: join }
  - { from: left, to: [l1, l2], type: parallel, fan_in: leftJoin }
  - { from: l1, to: leftJoin }
  - { from: l2, to: leftJoin }
  - { from: leftJoin, to: join }
  - { from: right, to: join }
`;
    expect((await run(wf)).all).toEqual([['l1', 'l2'], 'r']);
    // A scoped run over a branch that fans out still fans out.
    expect(await run(wf, { entryPoint: 'left', exitPoint: 'join' })).toEqual({ left: ['l1', 'l2'] });
  });

  it('stops at an exit point that is a fan-in, without running it', async () => {
    const state = await run(diamond(), { entryPoint: 'start', exitPoint: 'join', input: { n: 0, shared: { list: [] } } });
    expect(state).toEqual({ n: 2, shared: { list: [] } });
  });

  it('fails clearly, naming the path, when the state handed to branches is not JSON', async () => {
    const cases: Array<[string, string]> = [
      ['{ n: 2, f: () => 1 }', 'state.f (a function)'],
      ['{ n: 2, deep: { list: [1, 2n] } }', 'state.deep.list[1] (a BigInt)'],
      ['(() => { const o = { n: 2 }; o.self = { o }; return o; })()', 'state.self.o.self (a reference back to an enclosing object (a cycle))'],
      ['{ n: 2, m: new Map() }', 'state.m (a Map)'],
    ];
    for (const [value, where] of cases) {
      let branchRan = false;
      const factory: ExecutorFactory = (strategy, deps) => ({
        name: strategy,
        execute: (flows, config, signal) => {
          branchRan = true;
          return createExecutor('thread', deps).execute(flows, config, signal);
        },
      });
      const error = await failure(run(diamond().replace('run: "return { n: 2 }"', `run: "return ${value.replace(/"/g, '\\"')}"`), { executorFactory: factory }));
      expect(error.code).toBe('E_STATE_INVALID');
      expect(error.message).toContain(`the state after node "start" is not JSON at ${where}`);
      expect(branchRan).toBe(false); // before anything is staged
    }
  });

  it('gives thread branches the same JSON state process and remote branches get (NaN, undefined, Date)', async () => {
    const wf = `
nodes:
  - { name: s, run: "return { nan: NaN, gone: undefined, when: new Date(0), list: [undefined, Infinity] }" }
  - { name: b, run: "return { seen: { ...state } }" }
  - { name: j, run: "return { seen: parallel_results[0].state.seen }" }
edges:
  - { from: s, to: [b], type: parallel, fan_in: j }
  - { from: b, to: j }
`;
    const state = await run(wf);
    // Exactly JSON.parse(JSON.stringify(...)): what a process or remote branch reads from its input file.
    expect(state.seen).toEqual({ nan: null, when: '1970-01-01T00:00:00.000Z', list: [null, null] });
    expect(Object.keys(state.seen as object)).not.toContain('gone');
  });
});

describe('strategies and executors', () => {
  /** Wraps the real registry, recording which strategy ran which branches, and closes. */
  function recordingFactory() {
    const calls: { strategy: string; branches: string[]; configStrategy: string }[] = [];
    const closed: string[] = [];
    const factory: ExecutorFactory = (strategy, deps) => {
      const real = createExecutor('thread', deps);
      const executor: ParallelExecutor = {
        name: strategy,
        execute: (flows: readonly Flow[], config, signal) => {
          calls.push({ strategy, branches: flows.map((f) => f.entryPoint), configStrategy: config.strategy });
          return real.execute(flows, config, signal);
        },
        close: async () => {
          closed.push(strategy);
          await real.close?.();
        },
      };
      return executor;
    };
    return { factory, calls, closed };
  }

  const mixed = `
settings: { parallel: { strategy: process } }
nodes: [{ name: s }, { name: a }, { name: b }, { name: c }, { name: j, run: "return { order: parallel_results.map((r) => r.branch) }" }]
edges:
  - { from: s, to: a, type: parallel, fan_in: j, parallel_strategy: thread }
  - { from: s, to: b, type: parallel, fan_in: j }
  - { from: s, to: c, type: parallel, fan_in: j, parallel_strategy: thread }
  - { from: a, to: j }
  - { from: b, to: j }
  - { from: c, to: j }
`;

  it('uses the per-edge parallel_strategy, else settings.parallel.strategy, and keeps edge order across executors', async () => {
    const { factory, calls, closed } = recordingFactory();
    const state = await run(mixed, { executorFactory: factory });
    expect(state.order).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([
      { strategy: 'thread', branches: ['a', 'c'], configStrategy: 'thread' },
      { strategy: 'process', branches: ['b'], configStrategy: 'process' },
    ]);
    expect(closed.sort()).toEqual(['process', 'thread']);
  });

  it('closes executors when the run fails, and stops other executors when one throws', async () => {
    const closed: string[] = [];
    let threadSignal: AbortSignal | undefined;
    const factory: ExecutorFactory = (strategy, deps) => ({
      name: strategy,
      execute: async (flows, config, signal) => {
        if (strategy === 'process') throw new TeaError('E_CONFIG_INVALID', 'no process for you');
        threadSignal = signal;
        return createExecutor('thread', deps).execute(flows, config, signal);
      },
      close: async () => void closed.push(strategy),
    });
    const error = await failure(run(mixed, { executorFactory: factory }));
    expect(error.message).toBe('no process for you');
    expect(threadSignal?.aborted).toBe(true);
    expect(closed.sort()).toEqual(['process', 'thread']);
  });

  it('fails the fan-out when an executor returns fewer results than branches, instead of leaving holes', async () => {
    const factory: ExecutorFactory = (strategy, deps) => ({
      name: strategy,
      execute: async (flows, config, signal) => (await createExecutor('thread', deps).execute(flows, config, signal)).slice(1),
    });
    const error = await failure(run(diamond('settings: { parallel: { collect_failures: true } }'), { executorFactory: factory }));
    expect(error.code).toBe('E_RESULT_MISSING');
    expect(error.message).toBe('the thread executor returned 1 result(s) for 2 branch(es) of node "start": every branch must get exactly one');
  });

  it('cancels running branches when the run is aborted', async () => {
    const controller = new AbortController();
    const wf = `
nodes:
  - { name: s }
  - name: wait
    run: "await new Promise((r, j) => signal.addEventListener('abort', () => j(signal.reason)))"
  - { name: j }
edges:
  - { from: s, to: wait, type: parallel, fan_in: j }
  - { from: wait, to: j }
`;
    setTimeout(() => controller.abort(new TeaError('E_CANCELLED', 'stop now')), 20);
    const error = await failure(run(wf, { signal: controller.signal }));
    expect(error.code).toBe('E_CANCELLED');
    expect(error.message).toBe('stop now');
  });
});
