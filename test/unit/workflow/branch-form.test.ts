/**
 * What branches get (the branch form) and how far a branch loads it (slice.ts): a scoped
 * load compiles only what its run can reach, counted here (not timed), and runs the same
 * as the whole workflow would.
 */
import YAML from 'yaml';
import { runWorkflow } from '../../../src/engine/run-workflow';
import { TeaError } from '../../../src/errors';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBranchForm, toBranchForm, withOrigin } from '../../../src/workflow/branch-form';
import { loadWorkflow } from '../../../src/workflow/load';

/** start fans out to b0..b{n-1}, joined by `join`; then `after` (and more nodes past the fan-in). */
function fanout(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `b${i}`);
  return YAML.stringify({
    name: `fanout-${n}`,
    initial_state: { n: 21 },
    variables: { factor: 2 },
    interrupt_after: ['after'],
    nodes: [
      { name: 'start' },
      ...names.map((b, i) => ({ name: b, run: `return { out: state.n * variables.factor, b: ${i} };` })),
      { name: 'join', run: 'return { ok: parallel_results.filter((r) => r.success).length };' },
      { name: 'after', run: 'return { after: true };' },
    ],
    edges: [
      { from: '__start__', to: 'start' },
      { from: 'start', to: names, type: 'parallel', fan_in: 'join' },
      ...names.map((b) => ({ from: b, to: 'join', when: 'state.n > 0' })),
      { from: 'join', to: 'after' },
      { from: 'after', to: '__end__' },
    ],
  });
}

const branchScope = { entryPoint: 'b1', exitPoint: 'join' };

describe('branch form', () => {
  it('is the parsed document as JSON, marked, and still a workflow any loader reads whole', () => {
    const wf = loadWorkflow(fanout(3));
    expect(wf.branchText.startsWith('{"tea_branch_form":1,')).toBe(true);
    expect(parseBranchForm(wf.branchText)).toEqual({ doc: YAML.parse(fanout(3)) });
    // Read whole (no scope), or as YAML (JSON is YAML), it is the same workflow.
    for (const again of [loadWorkflow(wf.branchText), loadWorkflow(wf.branchText.replace('{"tea_branch_form":1,', '{ "tea_branch_form": 1, '))]) {
      expect(again.graph.order).toEqual(wf.graph.order);
      expect(again.branchText.length).toBeGreaterThan(0);
    }
  });

  it('is not used when JSON cannot carry the document exactly (YAML .inf): branches get the YAML', () => {
    const yaml = 'variables: { limit: .inf }\nnodes:\n  - name: a\n';
    expect(toBranchForm(YAML.parse(yaml) as Record<string, unknown>)).toBeUndefined();
    expect(loadWorkflow(yaml).branchText).toBe(yaml);
  });

  it('for a local child process, names the original file: require resolves beside it, and it is not shipped on', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tea-origin-'));
    writeFileSync(path.join(dir, 'helper.js'), 'module.exports = (x) => x * 3;');
    const file = path.join(dir, 'wf.yaml');
    const yaml = 'nodes:\n  - { name: a, run: "return { y: require(\'./helper\')(state.x) };" }\n  - { name: b }\nedges:\n  - { from: a, to: b }\n';
    const wf = loadWorkflow(yaml, { path: file });
    const child = loadWorkflow(withOrigin(wf.branchText, file)!, { path: path.join(os.tmpdir(), 'elsewhere', 'workflow.yaml'), scope: { entryPoint: 'a', exitPoint: 'b' } });
    expect(child.path).toBe(file);
    expect(await runWorkflow(child, { entryPoint: 'a', exitPoint: 'b', input: { x: 2 } })).toEqual({ x: 2, y: 6 });
    expect(child.branchText).toBe(wf.branchText);
    expect(withOrigin(yaml, file)).toBeUndefined();
  });

  it('JSON a user wrote goes through the YAML parser (duplicate keys are still refused)', () => {
    expect(parseBranchForm('{"nodes":[{"name":"a"}]}')).toBeUndefined();
    expect(() => loadWorkflow('{"tea_branch_form_x":1,"nodes":[{"name":"a"}],"nodes":[]}')).toThrow(TeaError);
  });
});

describe('a scoped load of the branch form', () => {
  it('compiles only what the scope reaches, however large the workflow (1000 branches: 2 nodes, 1 edge)', () => {
    const text = loadWorkflow(fanout(1000)).branchText;
    const scoped = loadWorkflow(text, { scope: branchScope });
    expect([...scoped.graph.nodes.keys()].sort()).toEqual(['b1', 'join']);
    const small = loadWorkflow(loadWorkflow(fanout(30)).branchText, { scope: branchScope });
    expect([...small.graph.nodes.keys()].sort()).toEqual(['b1', 'join']);
    // The YAML as written is validated and compiled whole, scoped or not.
    expect(loadWorkflow(fanout(1000), { scope: branchScope }).graph.nodes.size).toBe(1003);
  });

  it('runs the branch to the same state as the whole workflow does', async () => {
    const yaml = fanout(50);
    const whole = await runWorkflow(loadWorkflow(yaml), { ...branchScope, input: { n: 4 } });
    const scoped = await runWorkflow(loadWorkflow(loadWorkflow(yaml).branchText, { scope: branchScope }), { ...branchScope, input: { n: 4 } });
    expect(scoped).toEqual(whole);
    expect(scoped).toEqual({ n: 4, out: 8, b: 1 });
  });

  it('keeps every node of a nested fan-out inside the scope, and edges at their document index', async () => {
    const yaml = `
nodes:
  - { name: a }
  - { name: x, run: "return { x: 1 };" }
  - { name: inner, run: "return { inner: parallel_results.map((r) => r.state.v) };" }
  - { name: p, run: "return { v: 'p' };" }
  - { name: q, run: "return { v: 'q' };" }
  - { name: z, run: "return { z: 1 };" }
  - { name: outside, run: "return {};" }
  - { name: end }
edges:
  - { from: __start__, to: a }
  - { from: a, to: [x, outside], type: parallel, fan_in: end }
  - { from: outside, to: end }
  - { from: x, to: [p, q], type: parallel, fan_in: inner }
  - { from: p, to: inner }
  - { from: q, to: inner }
  - { from: inner, to: z, when: "state.explode()" }
  - { from: z, to: end }
`;
    const scope = { entryPoint: 'x', exitPoint: 'end' };
    const scoped = loadWorkflow(loadWorkflow(yaml).branchText, { scope });
    expect([...scoped.graph.nodes.keys()].sort()).toEqual(['end', 'inner', 'p', 'q', 'x', 'z']);
    // The failing condition is named by its index in the whole document, as a whole load would.
    const failure = (wf: ReturnType<typeof loadWorkflow>) => runWorkflow(wf, { ...scope, input: {} }).catch((e: TeaError) => e.message);
    const message = await failure(scoped);
    expect(message).toMatch(/^condition of edges\[6\] \(state\.explode\(\)\) failed/);
    expect(await failure(loadWorkflow(yaml))).toBe(message);
  });

  it('still validates what it loads, and reports an unknown scope point listing every node', async () => {
    const wf = YAML.parse(fanout(3)) as { nodes: Array<{ name: string; run?: string }> };
    wf.nodes[2]!.run = 'return {'; // b1: in the scope
    const bad = toBranchForm(wf as unknown as Record<string, unknown>)!;
    expect(() => loadWorkflow(bad, { scope: branchScope })).toThrow(/nodes\[\d\]\.run: SyntaxError/);
    const scope = { entryPoint: 'nope', exitPoint: 'join' };
    const typo = loadWorkflow(loadWorkflow(fanout(3)).branchText, { scope });
    await expect(runWorkflow(typo, scope)).rejects.toThrow('entry point "nope" is not a node of this workflow (nodes: start, b0, b1, b2, join, after)');
  });
});
