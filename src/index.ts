/**
 * tea-remote's public API: load a workflow, run it (or a scoped part of it), and
 * the executors that run fan-out branches. The CLI uses nothing else.
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
export { selfCliPath } from './executors/self-path';
export { createRemoteExecutor } from './executors/remote';
export { checkHosts, type CheckHostsOptions } from './remote/host/check-hosts';
export type { PreflightReport, PreflightCheck } from './remote/host/preflight';
export type { ExecutorContext } from './executors/context';
export type { Flow, State, Attempt, ParallelFlowResult, ParallelExecutor } from './executors/types';

export { planWorkflow, type WorkflowPlan, type FanOutPlan, type PlanWorkflowOptions } from './plan/plan-workflow';
export { buildPlan, specFromConfig, type GnuParallelPlan, type PlanSpec, type PlanFlow, type ShellCommand } from './plan/gnu-parallel';
export { detectGnuParallel, type GnuParallelDetection } from './plan/detect';
export { quote, shellJoin } from './remote/command/quote';

export { parseParallelConfig, parallelConfigSchema } from './config/parallel';
export type { ParallelConfig, Strategy, RetryConfig, CircuitBreakerConfig } from './config/parallel';
export type { RemoteConfig, HostEntry } from './config/remote';

export { TeaError, USAGE_CODES, isTeaError, errorMessage, type ErrorCode, type ErrorContext } from './errors';
export { ignoreEvents, type RunEvent, type RunEventType, type EventSink } from './events';
export { silentLogger, type Logger } from './log';
