import { TeaError } from '../../../src/errors';
import { runWorkflow } from '../../../src/engine/run-workflow';
import { loadWorkflow } from '../../../src/workflow/load';

const HOSTS = 'settings: { parallel: { strategy: thread, remote: { hosts: [h1] } } }';
/** s fans out to a (remote, a -> a2 -> nested fan-out n1/n2 -> a3) and b (thread); j fans in. */
const graph = (extra: string, strategyA = 'remote') => `
${HOSTS}
${extra}
nodes:
  - { name: s }
  - { name: a }
  - { name: a2 }
  - { name: n1 }
  - { name: n2 }
  - { name: a3 }
  - { name: b }
  - { name: j }
edges:
  - { from: s, to: a, type: parallel, fan_in: j, parallel_strategy: ${strategyA} }
  - { from: s, to: b, type: parallel, fan_in: j }
  - { from: a, to: a2 }
  - { from: a2, to: [n1, n2], type: parallel, fan_in: a3 }
  - { from: n1, to: a3 }
  - { from: n2, to: a3 }
  - { from: a3, to: j }
  - { from: b, to: j }
`;

function rejection(text: string): TeaError {
  try {
    loadWorkflow(text);
  } catch (error) {
    expect(error).toBeInstanceOf(TeaError);
    return error as TeaError;
  }
  throw new Error('expected the workflow to be rejected');
}

describe('interrupt points and remote branches', () => {
  it.each([
    ['interrupt_before: [a]', 'interrupt_before[0]', 'before', 'a'],
    ['interrupt_after: [b, a3]', 'interrupt_after[1]', 'after', 'a3'],
    ['config: { interrupt_before: [n2] }', 'config.interrupt_before[0]', 'before', 'n2'],
  ])('refuses %s inside a remote branch (nested fan-outs included), naming the node and the edge', (extra, path, when, node) => {
    const error = rejection(graph(extra));
    expect(error.code).toBe('E_WORKFLOW_INVALID');
    expect(error.message).toBe(
      `${path}: interrupt ${when} node "${node}" is inside remote branch "a" (edges[0]), which runs on an SSH host and cannot pause for input: ` +
        'put the interrupt outside the branch (on the fan-out or fan-in node) or give edges[0] another parallel_strategy',
    );
  });

  it('refuses a node-level interrupt inside a remote branch', () => {
    const text = graph('').replace('- { name: a2 }', '- { name: a2, interrupt: after }');
    expect(rejection(text).message).toMatch(/^nodes\[2\]\.interrupt: interrupt after node "a2" is inside remote branch "a"/);
  });

  it('refuses "*" when any remote branch exists', () => {
    expect(rejection(graph('interrupt_before: ["*"]')).message).toMatch(/interrupt_before\[0\]: interrupt before node "a" is inside remote branch/);
  });

  it('accepts interrupts outside remote scope: on the fan-out and fan-in nodes, in thread branches, or when the branch is not remote', () => {
    expect(loadWorkflow(graph('interrupt_before: [s, j, b]\ninterrupt_after: [s]')).interrupts).toHaveLength(4);
    expect(() => loadWorkflow(graph('interrupt_before: [a, n1]', 'thread'))).not.toThrow();
  });

  it('refuses an interrupt naming an unknown node', () => {
    expect(rejection(graph('interrupt_after: [nope]')).message).toMatch(/^interrupt_after\[0\]: unknown node "nope"/);
  });

  it('refuses a malformed interrupt key', () => {
    expect(rejection(graph('interrupt_before: a')).message).toMatch(/interrupt_before: expected a list of node names/);
    expect(rejection(graph('').replace('- { name: a2 }', '- { name: a2, interrupt: sometimes }')).message).toMatch(/nodes\[2\]\.interrupt/);
  });

  it('warns once that this engine does not pause at them', async () => {
    const warnings: string[] = [];
    const wf = loadWorkflow('interrupt_before: [x]\nnodes: [{ name: x, run: "return { ran: true }" }]\n');
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    expect(await runWorkflow(wf, { logger })).toEqual({ ran: true });
    expect(warnings).toEqual(['interrupt points (before "x") are accepted for compatibility but this engine does not pause at them']);
  });
});

describe('node names', () => {
  it('refuses a NUL character (it cannot be passed to a process or host)', () => {
    expect(rejection('nodes: [{ name: "a\\0b" }]\n').message).toMatch(/nodes\[0\]\.name: must not contain a NUL character/);
  });
});
