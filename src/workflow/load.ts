import path from 'node:path';
import { parseParallelConfig, type ParallelConfig } from '../config/parallel';
import { formatIssues } from '../config/format-issues';
import { TeaError } from '../errors';
import { readTextFile } from '../util/read-text';
import { workflowRequire } from './compile';
import { buildGraph } from './graph';
import { collectInterrupts, checkRemoteInterrupts } from './interrupts';
import { Issues } from './issues';
import { parseBranchForm, toBranchForm, withoutOrigin } from './branch-form';
import { documentSchema } from './schema';
import { sliceDocument, type DocumentSlice } from './slice';
import { END, START, type Graph, type Workflow } from './types';
import { parseYaml } from './yaml';

export interface LoadOptions {
  /** The file the text came from: named in messages, and `require` in nodes resolves beside it. */
  path?: string;
  /**
   * The scoped run this load is for. A branch-form text (branch-form.ts: what process and
   * remote branches get) is then validated and compiled only as far as that run can reach;
   * YAML as written is always validated whole.
   */
  scope?: { entryPoint?: string; exitPoint?: string };
}

/** Parses, validates and compiles a workflow. Throws E_WORKFLOW_INVALID / E_CONFIG_INVALID naming the path. */
export function loadWorkflow(text: string, options: LoadOptions = {}): Workflow {
  const source = options.path === undefined ? 'workflow' : options.path;
  const branch = parseBranchForm(text);
  const branchDoc = branch?.doc;
  const raw = branchDoc ?? parseYaml(text, source);
  // A process branch reads a temp file; its nodes resolve `require` beside the workflow's own file.
  const filePath = branch?.origin ?? options.path;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TeaError('E_WORKFLOW_INVALID', `${source}: expected a mapping with "nodes" at the top level`);
  }
  const slice = branchDoc === undefined || options.scope === undefined
    ? undefined
    : sliceDocument(branchDoc, options.scope.entryPoint ?? START, options.scope.exitPoint ?? END);
  const parsed = documentSchema.safeParse(slice === undefined ? raw : sliced(raw as Record<string, unknown>, slice));
  if (!parsed.success) throw new TeaError('E_WORKFLOW_INVALID', formatIssues('', parsed.error));
  const doc = parsed.data;
  // The slice's edges go back to their document index (sparse), for messages that name them.
  const edges = slice === undefined ? (doc.edges ?? []) : reindex(doc.edges ?? [], slice.edges);

  const parallel = parseParallelConfig(doc.settings?.parallel, 'settings.parallel');
  const issues = new Issues();
  const graph = buildGraph(doc.nodes, edges, workflowRequire(filePath), issues);
  issues.throwIfAny();
  checkRemoteConfigured(graph, parallel);
  const interrupts = collectInterrupts(doc, graph, issues);
  checkRemoteInterrupts(interrupts, graph, parallel, issues);
  issues.throwIfAny();

  return Object.freeze({
    ...(doc.name === undefined ? {} : { name: doc.name }),
    text,
    branchText: branch === undefined ? (toBranchForm(raw as Record<string, unknown>) ?? text) : branch.origin === undefined ? text : withoutOrigin(text, branch.origin),
    ...(filePath === undefined ? {} : { path: path.resolve(filePath) }),
    initialState: doc.initial_state ?? {},
    variables: deepFreeze(doc.variables ?? {}),
    parallel,
    graph,
    interrupts: Object.freeze(interrupts),
  });
}

/** The document with only the slice's nodes and edges; top-level interrupt lists keep the slice's names. */
function sliced(raw: Record<string, unknown>, slice: DocumentSlice): Record<string, unknown> {
  const keep = (list: unknown) => (Array.isArray(list) ? list.filter((n) => n === '*' || slice.names.has(n as string)) : list);
  const config = raw.config !== null && typeof raw.config === 'object' && !Array.isArray(raw.config)
    ? { config: { ...raw.config, interrupt_before: keep((raw.config as Record<string, unknown>).interrupt_before), interrupt_after: keep((raw.config as Record<string, unknown>).interrupt_after) } }
    : {};
  return {
    ...raw,
    nodes: slice.nodes,
    edges: slice.edges.filter(() => true),
    ...('interrupt_before' in raw ? { interrupt_before: keep(raw.interrupt_before) } : {}),
    ...('interrupt_after' in raw ? { interrupt_after: keep(raw.interrupt_after) } : {}),
    ...config,
  };
}

function reindex<T>(validated: readonly T[], sparse: readonly unknown[]): T[] {
  const out: T[] = [];
  let k = 0;
  sparse.forEach((_e, i) => {
    out[i] = validated[k++]!;
  });
  return out;
}

/** Reads and loads a workflow file; an unreadable file is E_WORKFLOW_INVALID (CLI exit 2). */
export async function loadWorkflowFile(file: string, options: Omit<LoadOptions, 'path'> = {}): Promise<Workflow> {
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new TeaError('E_WORKFLOW_INVALID', `cannot read workflow ${file}: ${reason}`, { cause: error });
  }
  return loadWorkflow(text, { ...options, path: file });
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
