import { stringify } from 'yaml';
import { loadWorkflow } from '../../../src/workflow/load';
import type { Workflow } from '../../../src/workflow/types';

/** A minimal workflow with these remote settings, for checkHosts. */
export function loadWorkflowText(remote: Record<string, unknown>): Workflow {
  const text = stringify({
    name: 'edge',
    settings: { parallel: { strategy: 'remote', remote } },
    nodes: [{ name: 'a', run: 'return {};' }, { name: 'b', run: 'return {};' }, { name: 'join', run: 'return {};' }],
    edges: [
      { from: '__start__', to: 'a' },
      { from: 'a', to: ['b'], type: 'parallel', fan_in: 'join' },
      { from: 'b', to: 'join' },
      { from: 'join', to: '__end__' },
    ],
  });
  return loadWorkflow(text);
}
