import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(60_000);
const { tea, dir } = installTea();

const pipeline = (strategy: string) => `
name: pipeline
settings: { parallel: { strategy: ${strategy}, max_workers: 4 } }
initial_state: { trail: [] }
nodes:
  - { name: prep, run: "return { trail: [...state.trail, 'prep'], base: 10 }" }
  - { name: left, run: "return { trail: [...state.trail, 'left'], v: state.base + 1, pid: process.pid }" }
  - { name: right }
  - { name: r1, run: "return { v: 'r1' }" }
  - { name: r2, run: "return { v: 'r2' }" }
  - { name: rightJoin, run: "return { v: parallel_results.map((r) => r.state.v).join('+'), pid: process.pid }" }
  - name: join
    run: |
      return {
        trail: [...state.trail, 'join'],
        got: parallel_results.map((r) => [r.branch, r.success, r.state.v]),
        separateProcesses: parallel_results.every((r) => r.state.pid !== process.pid),
      };
  - { name: done, run: "return { trail: [...state.trail, 'done'] }" }
edges:
  - { from: prep, to: [left, right], type: parallel, fan_in: join }
  - { from: left, to: join }
  - { from: right, to: [r1, r2], type: parallel, fan_in: rightJoin }
  - { from: r1, to: rightJoin }
  - { from: r2, to: rightJoin }
  - { from: rightJoin, to: join }
  - { from: join, to: done }
`;

describe('tea run (built CLI)', () => {
  it.each(['thread', 'process'])('runs a workflow with nested fan-outs on the %s strategy', async (strategy) => {
    const wf = writeIn(dir, `pipeline-${strategy}.yaml`, pipeline(strategy));
    const out = path.join(dir, `out-${strategy}.json`);
    const run = await runTea(tea, ['run', wf, '--output', out]);
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: '' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      trail: ['prep', 'join', 'done'],
      base: 10,
      got: [
        ['left', true, 11],
        ['right', true, 'r1+r2'],
      ],
      separateProcesses: strategy === 'process',
    });
  });

  it('prints the final state on stdout without --output', async () => {
    const wf = writeIn(dir, 'two.yaml', 'nodes:\n  - { name: a, run: "return { a: 1 }" }\n  - { name: b, run: "return 2" }\n');
    const run = await runTea(tea, ['run', wf]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ a: 1, result: 2 });
    expect((await runTea(tea, ['run', wf, '--quiet'])).stdout).toBe('');
  });

  describe('scoped runs: the contract remote hosts are driven by', () => {
    const wf = writeIn(dir, 'scoped.yaml', pipeline('thread'));

    it('runs a branch from its entry point up to, not including, the fan-in', async () => {
      const input = writeIn(dir, 'branch-in.json', JSON.stringify({ trail: ['prep'], base: 1 }));
      const run = await runTea(tea, ['run', wf, '--entry-point', 'left', '--exit-point', 'join', '--input', input]);
      expect(run.code).toBe(0);
      const state = JSON.parse(run.stdout);
      expect(state).toEqual({ trail: ['prep', 'left'], base: 1, v: 2, pid: expect.any(Number) });
    });

    it('still fans out inside the scope', async () => {
      const run = await runTea(tea, ['run', wf, '--entry-point', 'right', '--exit-point', 'join', '--input', '{"base":0}']);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ base: 0, v: 'r1+r2' });
    });

    it('runs from an entry point to the end, and from the start to an exit point', async () => {
      const tail = await runTea(tea, ['run', wf, '--entry-point', 'done', '--input', '{"trail":["x"]}']);
      expect(JSON.parse(tail.stdout)).toEqual({ trail: ['x', 'done'] });
      const head = await runTea(tea, ['run', wf, '--exit-point', 'join']);
      expect(JSON.parse(head.stdout)).toEqual({ trail: ['prep'], base: 10 });
    });
  });
});
