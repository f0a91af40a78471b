import { TeaError } from '../../../src/errors';
import { loadWorkflow } from '../../../src/workflow/load';
import { reaches } from '../../../src/workflow/reach';
import { resolveScope } from '../../../src/workflow/scope';

const wf = loadWorkflow(`
nodes: [{ name: prep }, { name: a }, { name: a2 }, { name: b }, { name: join }, { name: tail }, { name: island }]
edges:
  - { from: __start__, to: prep }
  - { from: prep, to: [a, b], type: parallel, fan_in: join }
  - { from: a, to: a2 }
  - { from: a2, to: join }
  - { from: b, to: join }
  - { from: join, to: tail, when: "state.go" }
  - { from: join, to: prep }
  - { from: island, to: tail }
`);

function scopeError(entry?: string, exit?: string): string {
  try {
    resolveScope(wf.graph, entry, exit);
  } catch (error) {
    expect(error).toBeInstanceOf(TeaError);
    expect((error as TeaError).code).toBe('E_SCOPE_INVALID');
    return (error as TeaError).message;
  }
  throw new Error('expected a scope error');
}

describe('resolveScope', () => {
  it('defaults to the whole graph', () => {
    expect(resolveScope(wf.graph)).toEqual({ entry: '__start__', exit: '__end__' });
  });

  it('accepts a branch scope, a path through a fan-out, and a path through a loop', () => {
    expect(resolveScope(wf.graph, 'a', 'join')).toEqual({ entry: 'a', exit: 'join' });
    expect(resolveScope(wf.graph, 'prep', 'tail')).toEqual({ entry: 'prep', exit: 'tail' });
  });

  it('names an unknown entry or exit point', () => {
    expect(scopeError('nope')).toBe('entry point "nope" is not a node of this workflow (nodes: prep, a, a2, b, join, tail, island)');
    expect(scopeError('a', 'nada')).toMatch(/^exit point "nada" is not a node of this workflow/);
    expect(scopeError('__end__')).toMatch(/^entry point "__end__" is not a node/);
  });

  it('rejects entry == exit', () => {
    expect(scopeError('a', 'a')).toBe('entry point and exit point are both "a"');
  });

  it('rejects a scope with no path from entry to exit', () => {
    expect(scopeError('tail', 'prep')).toBe('no path from "tail" to "prep"');
    expect(scopeError('island', 'join')).toBe('no path from "island" to "join"');
  });
});

describe('reaches', () => {
  it('follows a fan-out to its fan-in, not into its branches', () => {
    expect(reaches(wf.graph, 'prep', 'join')).toBe(true);
    expect(reaches(wf.graph, 'prep', 'a')).toBe(false);
    expect(reaches(wf.graph, 'a', 'join')).toBe(true);
  });

  it('ignores conditions and finds the implicit end', () => {
    expect(reaches(wf.graph, 'join', 'tail')).toBe(true);
    expect(reaches(wf.graph, 'tail', '__end__')).toBe(true);
  });
});
