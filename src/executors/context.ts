import type { EventSink } from '../events';
import type { Logger } from '../log';

/** What every executor is built with: the workflow it runs branches of, and where to report. */
export interface ExecutorContext {
  /** The full workflow YAML as written (remote hosts get all of it, not a subset). */
  readonly workflowText: string;
  /** The file it was loaded from, when it was loaded from a file. */
  readonly workflowPath?: string;
  readonly logger: Logger;
  readonly events: EventSink;
}
