import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseParallelConfig, type ParallelConfig } from '../config/parallel';
import { formatIssues } from '../config/format-issues';
import { TeaError } from '../errors';
import { workflowRequire } from './compile';
import { buildGraph } from './graph';
import { collectInterrupts, checkRemoteInterrupts } from './interrupts';
import { Issues } from './issues';
import { documentSchema } from './schema';
import type { Graph, Workflow } from './types';
import { parseYaml } from './yaml';

export interface LoadOptions {
  /** The file the text came from: named in messages, and `require` in nodes resolves beside it. */
  path?: string;
}

/** Parses, validates and compiles a workflow. Throws E_WORKFLOW_INVALID / E_CONFIG_INVALID naming the path. */
export function loadWorkflow(text: string, options: LoadOptions = {}): Workflow {
  const source = options.path === undefined ? 'workflow' : options.path;
  const raw = parseYaml(text, source);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TeaError('E_WORKFLOW_INVALID', `${source}: expected a mapping with "nodes" at the top level`);
  }
  const parsed = documentSchema.safeParse(raw);
  if (!parsed.success) throw new TeaError('E_WORKFLOW_INVALID', formatIssues('', parsed.error));
  const doc = parsed.data;

  const parallel = parseParallelConfig(doc.settings?.parallel, 'settings.parallel');
  const issues = new Issues();
  const graph = buildGraph(doc.nodes, doc.edges ?? [], workflowRequire(options.path), issues);
  issues.throwIfAny();
  checkRemoteConfigured(graph, parallel);
  const interrupts = collectInterrupts(doc, graph, issues);
  checkRemoteInterrupts(interrupts, graph, parallel, issues);
  issues.throwIfAny();

  return Object.freeze({
    ...(doc.name === undefined ? {} : { name: doc.name }),
    text,
    ...(options.path === undefined ? {} : { path: path.resolve(options.path) }),
    initialState: doc.initial_state ?? {},
    variables: deepFreeze(doc.variables ?? {}),
    parallel,
    graph,
    interrupts: Object.freeze(interrupts),
  });
}

/** Reads and loads a workflow file; an unreadable file is E_WORKFLOW_INVALID (CLI exit 2). */
export async function loadWorkflowFile(file: string): Promise<Workflow> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new TeaError('E_WORKFLOW_INVALID', `cannot read workflow ${file}: ${reason}`, { cause: error });
  }
  return loadWorkflow(text, { path: file });
}

/** A fan-out that would run remotely needs hosts: say so now, not when the fan-out is reached. */
function checkRemoteConfigured(graph: Graph, parallel: ParallelConfig): void {
  if (parallel.remote !== undefined) return;
  const issues = new Issues();
  for (const route of graph.routes.values()) {
    if (route.kind !== 'fan-out') continue;
    for (const b of route.branches) {
      if (b.strategy === 'remote') issues.add(`edges[${b.edgeIndex}].parallel_strategy`, 'strategy "remote" needs settings.parallel.remote with hosts');
      else if (b.strategy === undefined && parallel.strategy === 'remote') {
        issues.add('settings.parallel.strategy', `strategy "remote" (used by edges[${b.edgeIndex}]) needs settings.parallel.remote with hosts`);
        return issues.throwIfAny('E_CONFIG_INVALID');
      }
    }
  }
  issues.throwIfAny('E_CONFIG_INVALID');
}

// Variables are shared by every branch of an in-process run: frozen so one cannot change another's.
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
