import { parseParallelConfig } from '../../../src/config/parallel';
import type { RunEvent } from '../../../src/events';
import type { ExecutorContext } from '../../../src/executors/context';
import { chooseRemoteMethod, logPlan } from '../../../src/plan/remote-method';

function context() {
  const logs: string[] = [];
  const events: RunEvent[] = [];
  const log = (level: string) => (m: string) => logs.push(`${level}: ${m}`);
  const ctx: ExecutorContext = { workflowText: 'nodes: []', logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }, events: (e) => events.push(e) };
  return { ctx, logs, events };
}
const remote = (mode?: string) =>
  parseParallelConfig({ strategy: 'remote', remote: { hosts: ['2/tea@h1:2222'], ...(mode === undefined ? {} : { gnu_parallel: mode }) } });

describe('chooseRemoteMethod', () => {
  const never = async () => {
    throw new Error('detection must not run');
  };

  it('uses ssh2 by default without looking for GNU Parallel', async () => {
    const { ctx, logs, events } = context();
    expect(remote().remote!.gnu_parallel).toBe('off');
    await expect(chooseRemoteMethod(remote().remote, ctx, never)).resolves.toMatchObject({ method: 'ssh2', logPlan: false });
    expect(events).toEqual([{ type: 'method', method: 'ssh2', reason: 'default pure-Node transport (no system ssh, scp or rsync needed)' }]);
    expect(logs).toEqual([]);
  });

  it('"plan" runs over ssh2 and asks for the plan to be logged', async () => {
    const { ctx, events } = context();
    await expect(chooseRemoteMethod(remote('plan').remote, ctx, never)).resolves.toMatchObject({ method: 'ssh2', logPlan: true });
    expect(events[0]).toMatchObject({ method: 'ssh2', reason: expect.stringContaining('"plan"') });
  });

  it('"run" uses GNU Parallel when found, and says so', async () => {
    const { ctx, logs, events } = context();
    const choice = await chooseRemoteMethod(remote('run').remote, ctx, async () => ({ found: true, command: 'parallel', version: '20221122' }));
    expect(choice).toEqual({ method: 'gnu-parallel', command: 'parallel', reason: 'gnu_parallel is "run" and GNU Parallel 20221122 is installed' });
    expect(events).toEqual([{ type: 'method', method: 'gnu-parallel', reason: choice.reason }]);
    expect(logs).toEqual([`info: remote: ${choice.reason}`]);
  });

  it('"run" falls back to ssh2 with one logged reason when GNU Parallel is missing', async () => {
    const { ctx, logs, events } = context();
    const choice = await chooseRemoteMethod(remote('run').remote, ctx, async () => ({ found: false, reason: 'GNU Parallel not found on PATH ("parallel")' }));
    expect(choice).toMatchObject({ method: 'ssh2', reason: 'gnu_parallel is "run" but GNU Parallel not found on PATH ("parallel"): using ssh2' });
    expect(logs).toEqual([`info: remote: ${choice.reason}`]);
    expect(events).toEqual([{ type: 'method', method: 'ssh2', reason: choice.reason }]);
  });

  it('rejects an unknown mode where the config is parsed, naming the path', () => {
    expect(() => remote('sometimes')).toThrow(/settings\.parallel\.remote\.gnu_parallel/);
  });
});

describe('logPlan', () => {
  it('logs the one-line command of the fan-out', () => {
    const { ctx, logs } = context();
    logPlan([{ entryPoint: 'a b', exitPoint: 'j', state: {} }], remote('plan'), 'r1', 2, ctx);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^info: gnu-parallel plan for fan-out 2 .*PARALLEL_SHELL=\/bin\/sh parallel --null .*--sshlogin 2\/tea@h1:2222 .*--workdir \.cache\/tea-remote\/gp-r1-2 /);
  });

  it('warns instead of failing the run when no plan can be made', () => {
    const { ctx, logs } = context();
    logPlan([{ entryPoint: 'a', exitPoint: 'j', state: {} }], parseParallelConfig({ strategy: 'remote', remote: { hosts: ['h'], identity_file: "/k/it's" } }), 'r', 1, ctx);
    expect(logs[0]).toMatch(/^warn: gnu-parallel plan for fan-out 1 cannot be made: .*quote/);
  });
});
