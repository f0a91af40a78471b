import { remoteFanOuts } from '../../../src/plan/fan-outs';
import { loadWorkflow } from '../../../src/workflow/load';

const settings = (strategy: string) => `
settings:
  parallel:
    strategy: ${strategy}
    remote: { hosts: [h1] }
`;

describe('remoteFanOuts', () => {
  it('finds the remote fan-outs a run from the start reaches, in walk order, with only their remote branches', () => {
    const wf = loadWorkflow(`${settings('thread')}
nodes:
  - name: prep
  - name: a
  - name: b
  - name: c
  - name: join
  - name: local
  - name: x
  - name: y
  - name: inner
  - name: done
  - name: orphan
  - name: o1
  - name: ojoin
edges:
  - { from: prep, to: [a, b], type: parallel, fan_in: join, parallel_strategy: remote }
  - { from: prep, to: c, type: parallel, fan_in: join }
  - { from: a, to: join }
  - { from: b, to: join }
  - { from: c, to: join }
  - { from: join, to: local }
  - { from: local, to: [x, y], type: parallel, fan_in: inner }
  - { from: x, to: inner }
  - { from: y, to: inner }
  - { from: inner, to: done }
  - { from: orphan, to: o1, type: parallel, fan_in: ojoin, parallel_strategy: remote }
  - { from: o1, to: ojoin }
`);
    // prep's remote branches only (c is thread); local's fan-out is thread; orphan is unreachable.
    expect(remoteFanOuts(wf)).toEqual([{ from: 'prep', fanIn: 'join', branches: ['a', 'b'] }]);
  });

  it('walks into local branches (their nested fan-outs run from here) but not into remote ones', () => {
    const wf = loadWorkflow(`${settings('remote')}
nodes:
  - name: top
  - name: local
  - name: r
  - name: l1
  - name: l2
  - name: ljoin
  - name: r1
  - name: r2
  - name: rjoin
  - name: join
edges:
  - { from: top, to: local, type: parallel, fan_in: join, parallel_strategy: thread }
  - { from: top, to: r, type: parallel, fan_in: join }
  - { from: local, to: [l1, l2], type: parallel, fan_in: ljoin }
  - { from: l1, to: ljoin }
  - { from: l2, to: ljoin }
  - { from: ljoin, to: join }
  - { from: r, to: [r1, r2], type: parallel, fan_in: rjoin }
  - { from: r1, to: rjoin }
  - { from: r2, to: rjoin }
  - { from: rjoin, to: join }
`);
    expect(remoteFanOuts(wf)).toEqual([
      { from: 'top', fanIn: 'join', branches: ['r'] },
      { from: 'local', fanIn: 'ljoin', branches: ['l1', 'l2'] },
    ]);
  });

  it('finds nothing in a workflow without remote branches', () => {
    expect(remoteFanOuts(loadWorkflow('nodes:\n  - name: a\n'))).toEqual([]);
  });
});
