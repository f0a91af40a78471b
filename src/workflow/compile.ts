import { createRequire } from 'node:module';
import path from 'node:path';
import type { State } from '../executors/types';
import type { Condition, NodeScope } from './types';

// The constructor of `async function` bodies; not a global, so it is taken from an instance.
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<unknown>;

/** What a compile step reports instead of throwing, so the loader can name the path. */
export type Compiled<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * `require` for node bodies, resolving like a script beside the workflow file
 * (`./helper`, or packages in its node_modules). Passed explicitly because the
 * CLI is bundled: the bundle's own `require` would resolve from dist/.
 */
export function workflowRequire(workflowPath?: string): NodeJS.Require {
  const base = workflowPath === undefined ? path.join(process.cwd(), 'workflow.yaml') : path.resolve(workflowPath);
  return createRequire(base);
}

/** Compiles a node's `run` body into an async function of its scope. */
export function compileRun(
  nodeName: string,
  body: string,
  requireFn: NodeJS.Require,
): Compiled<(scope: NodeScope) => Promise<unknown>> {
  let fn: (...values: unknown[]) => Promise<unknown>;
  try {
    // sourceURL names the node in stack traces of errors thrown by the body.
    const label = nodeName.replace(/[^\w.-]/g, '_');
    fn = new AsyncFunction('state', 'parallel_results', 'variables', 'require', 'signal', `${body}\n//# sourceURL=tea-node:${label}`);
  } catch (error) {
    return { ok: false, message: describeSyntaxError(error) };
  }
  return {
    ok: true,
    value: (scope) => fn(scope.state, scope.parallel_results, scope.variables, requireFn, scope.signal),
  };
}

/** Compiles an edge condition: a JavaScript expression over `state` and `variables`. */
export function compileCondition(source: string, expected: boolean = true): Compiled<Condition> {
  let fn: (state: State, variables: unknown) => unknown;
  try {
    fn = new Function('state', 'variables', `return (\n${source}\n);`) as typeof fn;
  } catch (error) {
    return { ok: false, message: describeSyntaxError(error) };
  }
  return { ok: true, value: { source, test: (state, variables) => Boolean(fn(state, variables)) === expected } };
}

function describeSyntaxError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
