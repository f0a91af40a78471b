import { guardEvents, type EventSink } from '../events';
import { guardLogger, type Logger } from '../log';

/** What every executor is built with: the workflow it runs branches of, and where to report. */
export interface ExecutorContext {
  /** The full workflow YAML as written (remote hosts get all of it, not a subset). */
  readonly workflowText: string;
  /** The file it was loaded from, when it was loaded from a file. */
  readonly workflowPath?: string;
  readonly logger: Logger;
  readonly events: EventSink;
}

/** The context with a logger and event sink that cannot throw into the executor (see guardEvents). */
export function guardContext<T extends Pick<ExecutorContext, 'logger' | 'events'>>(context: T): T {
  const logger = guardLogger(context.logger);
  return { ...context, logger, events: guardEvents(context.events, logger) };
}
