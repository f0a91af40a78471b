import { TeaError } from '../../../src/errors';
import { loadWorkflow } from '../../../src/workflow/load';
import { END, START } from '../../../src/workflow/types';

/** The error a document is rejected with. */
function rejection(text: string): TeaError {
  try {
    loadWorkflow(text, { path: 'wf.yaml' });
  } catch (error) {
    expect(error).toBeInstanceOf(TeaError);
    return error as TeaError;
  }
  throw new Error('expected the workflow to be rejected');
}

const twoNodes = `
nodes:
  - name: a
  - name: b
`;

describe('loadWorkflow: good documents', () => {
  it('loads a minimal workflow and chains nodes in order when there are no edges', () => {
    const wf = loadWorkflow(`nodes:\n  - name: a\n  - name: b\n  - name: c\n`);
    expect(wf.graph.order).toEqual(['a', 'b', 'c']);
    const next = (from: string) => {
      const r = wf.graph.routes.get(from)!;
      return r.kind === 'next' ? r.edges.map((e) => e.to) : [];
    };
    expect([next(START), next('a'), next('b'), next('c')]).toEqual([['a'], ['b'], ['c'], [END]]);
    expect(wf.initialState).toEqual({});
    expect(wf.parallel.strategy).toBe('thread');
  });

  it('tolerates unknown top-level keys and keeps the text, name, variables and initial state', () => {
    const text = `
name: demo
imports: [somewhere]
state_schema: { x: int }
initial_state: { x: 1 }
variables: { greeting: hi }
settings: { llm: { model: x }, parallel: { strategy: process, max_workers: 3 } }
${twoNodes}`;
    const wf = loadWorkflow(text, { path: 'wf.yaml' });
    expect(wf.name).toBe('demo');
    expect(wf.text).toBe(text);
    expect(wf.path).toMatch(/\/wf\.yaml$/);
    expect(wf.initialState).toEqual({ x: 1 });
    expect(wf.variables).toEqual({ greeting: 'hi' });
    expect(Object.isFrozen(wf.variables)).toBe(true);
    expect(wf.parallel).toMatchObject({ strategy: 'process', max_workers: 3 });
  });

  it('accepts empty optional sections', () => {
    expect(() => loadWorkflow(`edges:\nvariables:\nsettings:\n${twoNodes}`)).not.toThrow();
  });

  it('reads fan-outs written as one edge with a list or one edge per branch, with `parallel: true` and per-edge strategies', () => {
    const wf = loadWorkflow(`
nodes: [{ name: s }, { name: a }, { name: b }, { name: c }, { name: j }]
edges:
  - { from: s, to: [a, b], type: parallel, fan_in: j }
  - { from: s, to: c, parallel: true, fan_in: j, parallel_strategy: process }
  - { from: a, to: j }
  - { from: b, to: j }
  - { from: c, to: j }
`);
    expect(wf.graph.routes.get('s')).toEqual({
      kind: 'fan-out',
      fanIn: 'j',
      branches: [
        { target: 'a', edgeIndex: 0 },
        { target: 'b', edgeIndex: 0 },
        { target: 'c', edgeIndex: 1, strategy: 'process' },
      ],
    });
    expect(wf.graph.routes.get(START)).toEqual({ kind: 'next', edges: [{ to: 's', edgeIndex: -1 }] });
    expect(wf.graph.routes.get('j')).toEqual({ kind: 'next', edges: [] });
  });

  it('compiles every condition form', () => {
    const wf = loadWorkflow(`
nodes: [{ name: a }, { name: b }, { name: c }, { name: d }, { name: e }]
edges:
  - { from: __start__, to: a }
  - { from: a, to: b, when: "state.x > 1" }
  - { from: a, to: c, condition: "state.x === 1" }
  - { from: a, to: d, condition: { type: expression, value: "state.x > 0" }, when: false }
  - { from: a, to: e }
`);
    const route = wf.graph.routes.get('a')!;
    if (route.kind !== 'next') throw new Error('expected ordinary edges');
    const tests = route.edges.map((e) => e.condition?.test.bind(null));
    expect(tests[0]!({ x: 2 }, {})).toBe(true);
    expect(tests[1]!({ x: 1 }, {})).toBe(true);
    expect(tests[2]!({ x: -1 }, {})).toBe(true);
    expect(tests[2]!({ x: 1 }, {})).toBe(false);
    expect(tests[3]).toBeUndefined();
  });
});

describe('loadWorkflow: CRLF files (saved on Windows)', () => {
  it('reads the same workflow from CRLF as from LF: names, edges, variables and run bodies', async () => {
    const lf =
      'name: crlf\nvariables:\n  greeting: hi\nnodes:\n  - name: a\n    run: |\n      const s = "x"\n      return { [s]: 1 }\n  - name: b\nedges:\n  - from: __start__\n    to: a\n  - from: a\n    to: b\n  - from: b\n    to: __end__\n';
    const wf = loadWorkflow(lf.replace(/\n/g, '\r\n'));
    expect(wf.name).toBe('crlf');
    expect(wf.variables).toEqual({ greeting: 'hi' });
    expect(wf.graph.order).toEqual(['a', 'b']);
    expect(wf.graph.routes.get('a')).toEqual(loadWorkflow(lf).graph.routes.get('a'));
    const scope = { state: {}, parallel_results: undefined, variables: {}, signal: new AbortController().signal };
    await expect(wf.graph.nodes.get('a')!.run!(scope)).resolves.toEqual({ x: 1 });
  });
});

describe('loadWorkflow: bad documents', () => {
  const cases: [string, string, RegExp][] = [
    ['YAML syntax, with the line', 'nodes:\n  - name: a\n   bad: [\n', /^wf\.yaml: invalid YAML at line \d+, column \d+: /],
    ['duplicate YAML keys', 'nodes: []\nnodes: []\n', /invalid YAML at line 2, column 1: Map keys must be unique/],
    ['a document that is not a mapping', '- a\n- b\n', /^wf\.yaml: expected a mapping with "nodes"/],
    ['no nodes', 'name: x\n', /^nodes: /],
    ['empty nodes', 'nodes: []\n', /^nodes: a workflow needs at least one node/],
    ['a node without a name', 'nodes:\n  - name: a\n  - name: b\n  - run: return 1\n', /^nodes\[2\]\.name: /],
    ['a node name of the wrong type', 'nodes:\n  - name: 42\n', /^nodes\[0\]\.name: expected a node name, got number 42$/],
    ['an unknown node key', 'nodes:\n  - name: a\n    goto: b\n', /^nodes\[0\]: .*"goto"/],
    ['run that is not text', 'nodes:\n  - name: a\n    run: [1]\n', /^nodes\[0\]\.run: /],
    ['a syntax error in run', 'nodes:\n  - name: a\n    run: "return {"\n', /^nodes\[0\]\.run: SyntaxError: /],
    ['duplicate node names', `${twoNodes}  - name: a\n`, /^nodes\[2\]\.name: duplicate node name "a" \(also nodes\[0\]\)/],
    ['a reserved node name', 'nodes:\n  - name: __end__\n', /^nodes\[0\]\.name: "__end__" is reserved/],
    ['initial_state that is not a mapping', `initial_state: [1]\n${twoNodes}`, /^initial_state: /],
    ['variables that is not a mapping', `variables: 3\n${twoNodes}`, /^variables: /],
    ['edges that is not a list', `edges: { from: a }\n${twoNodes}`, /^edges: /],
    ['an edge without to', `edges:\n  - from: a\n${twoNodes}`, /^edges\[0\]\.to: /],
    ['an unknown edge key', `edges:\n  - { from: a, to: b, go: 1 }\n${twoNodes}`, /^edges\[0\]: .*"go"/],
    ['an unknown from node', `edges:\n  - { from: a, to: b }\n  - { from: x, to: b }\n${twoNodes}`, /^edges\[1\]\.from: unknown node "x" \(nodes: a, b\)/],
    ['an unknown to node', `edges:\n  - { from: a, to: y }\n${twoNodes}`, /^edges\[0\]\.to: unknown node "y"/],
    ['an edge into __start__', `edges:\n  - { from: a, to: __start__ }\n${twoNodes}`, /^edges\[0\]\.to: no edge can enter "__start__"/],
    ['an edge out of __end__', `edges:\n  - { from: __end__, to: a }\n${twoNodes}`, /^edges\[0\]\.from: no edge can leave "__end__"/],
    ['a bad edge type', `edges:\n  - { from: a, to: b, type: fast }\n${twoNodes}`, /^edges\[0\]\.type: /],
    ['a bad strategy', `edges:\n  - { from: a, to: b, type: parallel, fan_in: b, parallel_strategy: gpu }\n${twoNodes}`, /^edges\[0\]\.parallel_strategy: /],
    ['a list without parallel', `edges:\n  - { from: a, to: [b] }\n${twoNodes}`, /^edges\[0\]\.to: a list of targets needs "type: parallel"/],
    ['fan_in on an ordinary edge', `edges:\n  - { from: a, to: b, fan_in: b }\n${twoNodes}`, /^edges\[0\]\.fan_in: only parallel edges/],
    ['two unconditional edges from one node', `edges:\n  - { from: a, to: b }\n  - { from: a, to: __end__ }\n${twoNodes}`, /^edges\[1\]: "a" already has an unconditional edge \(edges\[0\]\)/],
    ['a syntax error in when', `edges:\n  - { from: a, to: b, when: "state.x >" }\n${twoNodes}`, /^edges\[0\]\.when: SyntaxError/],
    ['when and condition strings together', `edges:\n  - { from: a, to: b, when: "1", condition: "2" }\n${twoNodes}`, /^edges\[0\]\.when: use either/],
    ['a boolean when alone', `edges:\n  - { from: a, to: b, when: true }\n${twoNodes}`, /^edges\[0\]\.when: a boolean "when" needs a condition object/],
    ['a parallel edge without fan_in', `edges:\n  - { from: a, to: b, type: parallel }\n${twoNodes}`, /^edges\[0\]\.fan_in: required for a parallel edge/],
    ['type normal with parallel true', `edges:\n  - { from: a, to: b, type: normal, parallel: true, fan_in: b }\n${twoNodes}`, /^edges\[0\]: "type: normal" contradicts/],
  ];
  it.each(cases)('rejects %s, naming the path', (_, text, message) => {
    const error = rejection(text);
    expect(error.code).toBe('E_WORKFLOW_INVALID');
    expect(error.message).toMatch(message);
  });

  const fanOut = (edges: string) => `
nodes: [{ name: s }, { name: a }, { name: b }, { name: j }, { name: k }]
edges:
${edges}`;
  const fanOutCases: [string, string, RegExp][] = [
    ['an unknown fan-in', '  - { from: s, to: [a, b], type: parallel, fan_in: zz }', /^edges\[0\]\.fan_in: unknown node "zz"/],
    ['a fan-out from __start__', '  - { from: __start__, to: [a, b], type: parallel, fan_in: j }', /^edges\[0\]\.from: a fan-out starts at a node/],
    ['a branch into __end__', '  - { from: s, to: [a, __end__], type: parallel, fan_in: j }\n  - { from: a, to: j }', /^edges\[0\]\.to\[1\]: a branch must run a node/],
    ['a branch starting at its fan-in', '  - { from: s, to: [a, j], type: parallel, fan_in: j }\n  - { from: a, to: j }', /^edges\[0\]\.to\[1\]: a branch cannot start at its own fan-in/],
    ['a repeated branch', '  - { from: s, to: [a, a], type: parallel, fan_in: j }\n  - { from: a, to: j }', /^edges\[0\]\.to\[1\]: "a" is already a branch/],
    ['different fan-ins from one node', '  - { from: s, to: a, type: parallel, fan_in: j }\n  - { from: s, to: b, type: parallel, fan_in: k }\n  - { from: a, to: j }\n  - { from: b, to: k }', /^edges\[1\]\.fan_in: "k" differs from "j" \(edges\[0\]\)/],
    ['a condition on a parallel edge', '  - { from: s, to: [a, b], type: parallel, fan_in: j, when: "true" }', /^edges\[0\]: parallel edges cannot have a condition/],
    ['ordinary and parallel edges from one node', '  - { from: s, to: [a, b], type: parallel, fan_in: j }\n  - { from: s, to: k }\n  - { from: a, to: j }\n  - { from: b, to: j }', /^edges\[1\]: "s" fans out \(edges\[0\]\), so it cannot also have ordinary edges/],
    ['a branch that never reaches the fan-in', '  - { from: s, to: [a, b], type: parallel, fan_in: j }\n  - { from: a, to: j }\n  - { from: b, to: k }', /^edges\[0\]\.to: branch "b" never reaches its fan-in node "j"/],
  ];
  it.each(fanOutCases)('rejects %s', (_, edges, message) => {
    const error = rejection(fanOut(edges));
    expect(error.code).toBe('E_WORKFLOW_INVALID');
    expect(error.message).toMatch(message);
  });

  it('reports every problem at once, one line each', () => {
    const error = rejection(`edges:\n  - { from: x, to: y }\n${twoNodes}  - name: a\n`);
    expect(error.message.split('\n')).toEqual([
      'nodes[2].name: duplicate node name "a" (also nodes[0])',
      'edges[0].from: unknown node "x" (nodes: a, b, a)',
      'edges[0].to: unknown node "y" (nodes: a, b, a)',
    ]);
  });

  it('rejects bad settings.parallel with E_CONFIG_INVALID naming the path', () => {
    const error = rejection(`settings:\n  parallel:\n    max_workers: 0\n    retry: { jitter: 2 }\n${twoNodes}`);
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toMatch(/^settings\.parallel\.max_workers: /m);
    expect(error.message).toMatch(/^settings\.parallel\.retry\.jitter: /m);
  });

  it('rejects a remote fan-out without remote hosts at load time', () => {
    const text = `
nodes: [{ name: s }, { name: a }, { name: j }]
edges:
  - { from: s, to: a, type: parallel, fan_in: j, parallel_strategy: remote }
  - { from: a, to: j }`;
    const error = rejection(text);
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toBe('edges[0].parallel_strategy: strategy "remote" needs settings.parallel.remote with hosts');
    const viaDefault = rejection(`settings: { parallel: { strategy: remote } }\n${text.replace(', parallel_strategy: remote', '')}`);
    expect(viaDefault.message).toMatch(/^settings\.parallel\.strategy: strategy "remote" \(used by edges\[0\]\)/);
  });
});
