/**
 * The CLI's entry into the library (src/cli imports nothing else outside src/cli; checked by
 * test/unit/import-graph.test.ts). It is the public entry (src/index.ts) plus the few internals
 * only the CLI needs (the dry-run's layout and local checks, printable text, the code cache...),
 * kept out of the public API so embedders do not come to depend on them. Heavy modules (ssh2,
 * GNU Parallel planning, the warm runner) are loaders, not re-exports: every remote branch is a
 * fresh `tea run`, and what it loads at start it pays for on every branch.
 */
export { runWorkflow } from './engine/run-workflow';
export { loadWorkflowFile } from './workflow/load';
export { resolveScope } from './workflow/scope';
export type { Workflow } from './workflow/types';
export { TeaError, USAGE_CODES, errorMessage, isTeaError } from './errors';
export type { EventSink, RunEvent } from './events';
export type { Logger } from './log';
export type { State } from './executors/types';
export type { Strategy } from './config/parallel';
export type { PreflightReport } from './remote/host/preflight';
export type { Leftover } from './remote/host/leftovers';
export type { FanOutPlan, WorkflowPlan } from './plan/plan-workflow';
export { VERSION } from './version';

// Internals the CLI alone uses.
export { raceAbort } from './util/abort';
export { readTextFile } from './util/read-text';
export { printable } from './util/printable';
export { writeFileAtomic } from './util/atomic-write';
export { LOCAL_TARGET } from './executors/local';
export type { Basefile } from './remote/host/basefile';
export { hostLabel } from './config/sshlogin';
export { reachableFanOuts } from './workflow/reach';
export { quote } from './remote/command/quote';
export { RUNNER_COMMAND, STANDBY_SLOT } from './remote/runner/runner-command';

// Loaded on use.
/** `--dry-run`: local host checks (ssh2's agent client), the basefile catalog and the host layout (node:crypto). */
export const loadDryRunChecks = () =>
  Promise.all([import('./remote/local-checks'), import('./remote/host/basefile'), import('./remote/host/layout')]).then(([checks, basefile, layout]) => ({
    checkHostsLocally: checks.checkHostsLocally,
    BasefileCatalog: basefile.BasefileCatalog,
    basefilePath: layout.basefilePath,
    runLayout: layout.runLayout,
  }));
export const loadHostsCheck = () => import('./remote/host/check-hosts');
export const loadPlanning = () => Promise.all([import('./plan/plan-workflow'), import('./plan/detect')]).then(([plan, detect]) => ({ ...plan, ...detect }));
/** Synchronous: `tea __runner` starts before anything else is loaded (src/cli/main.ts). */
export const loadHostRunner = () => require('./remote/runner/host-runner') as typeof import('./remote/runner/host-runner');
