/**
 * tea-remote's public API, what an embedder needs: load a workflow and run it (or a scoped
 * part of it); the executor interface, the registry and the executor factories; the config,
 * result, error, event and logger types; `tea hosts check` and `tea plan` as functions.
 * Nothing else (quoting, GNU Parallel command building, staging...) is promised. The package's
 * `exports` map exposes this file only. The CLI goes through src/cli-api.ts, this plus the few
 * internals only the CLI uses (docs/decisions.md, "Public entry").
 */
export { loadWorkflow, loadWorkflowFile, type LoadOptions } from './workflow/load';
export { resolveScope, type Scope } from './workflow/scope';
export { START, END } from './workflow/types';
export type { Workflow, Graph, Route, Branch, CompiledNode, NodeScope } from './workflow/types';
export type { WorkflowDocument, NodeSpec, EdgeSpec } from './workflow/schema';

export { runWorkflow, type RunOptions } from './engine/run-workflow';

export { createExecutor, type ExecutorFactory, type ExecutorDeps } from './executors/registry';
export { createThreadExecutor, type BranchRunner } from './executors/thread';
export { createProcessExecutor, type ProcessExecutorOptions } from './executors/process';
export { createRemoteExecutor } from './executors/remote';
export type { ExecutorContext } from './executors/context';
export type { Flow, State, Attempt, ParallelFlowResult, ParallelExecutor } from './executors/types';

export { checkHosts, type CheckHostsOptions } from './remote/host/check-hosts';
export type { PreflightReport, PreflightCheck } from './remote/host/preflight';
export { planWorkflow, type WorkflowPlan, type FanOutPlan, type PlanWorkflowOptions } from './plan/plan-workflow';

export { parseParallelConfig, parallelConfigSchema } from './config/parallel';
export type { ParallelConfig, Strategy, RetryConfig, CircuitBreakerConfig } from './config/parallel';
export type { RemoteConfig, HostEntry } from './config/remote';

export { TeaError, USAGE_CODES, isTeaError, errorMessage, type ErrorCode, type ErrorContext } from './errors';
export { ignoreEvents, type RunEvent, type RunEventType, type EventSink } from './events';
export { silentLogger, type Logger } from './log';
