import { ignoreEvents } from '../../../src/events';
import { createExecutor, type ExecutorDeps } from '../../../src/executors/registry';
import { silentLogger } from '../../../src/log';

const deps: ExecutorDeps = {
  context: { workflowText: 'nodes: [{ name: a }]', logger: silentLogger, events: ignoreEvents },
  runBranch: async (flow) => flow.state,
};

describe('executor registry', () => {
  it('makes thread and process executors by name', async () => {
    for (const strategy of ['thread', 'process'] as const) {
      const executor = createExecutor(strategy, deps);
      expect(executor.name).toBe(strategy);
      await executor.close?.();
    }
  });

  it('hands the remote strategy to the remote executor', async () => {
    const executor = createExecutor('remote', deps);
    expect(executor.name).toBe('remote');
    await executor.close?.();
  });
});
