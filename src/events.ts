import type { Strategy } from './config/parallel';
import type { ErrorCode } from './errors';
import type { Attempt } from './executors/types';
import { errorMessage } from './errors';
import type { Logger } from './log';

/**
 * The closed set of events a run emits, so embedders (and the CLI's progress
 * display) can observe it. Adding a member is an API change: update docs/events.md.
 */
export type RunEvent =
  | { type: 'method'; method: 'thread' | 'process' | 'ssh2' | 'gnu-parallel'; reason: string }
  /** A fan-out begins: its node, fan-in and each branch's strategy (the branches of one fan-out, in edge order). */
  | { type: 'fanout:started'; node: string; fan_in: string; branches: Array<{ branch: string; strategy: Strategy }> }
  /**
   * A fan-out's branches have all ended (also when they failed or were cancelled),
   * with every recorded attempt: what `tea run --joblog` writes. Not emitted when an
   * executor itself threw (no results exist then).
   */
  | {
      type: 'fanout:finished';
      node: string;
      fan_in: string;
      duration_ms: number;
      results: Array<{ branch: string; strategy: Strategy; success: boolean; error_code: string | null; attempts: Attempt[] }>;
    }
  | { type: 'flow:started'; index: number; branch: string; target: string; attempt: number }
  | {
      type: 'flow:finished';
      index: number;
      branch: string;
      target: string | null;
      success: boolean;
      timing_ms: number;
      error_code?: ErrorCode | string;
    }
  | {
      type: 'flow:retrying';
      index: number;
      branch: string;
      target: string;
      attempt: number;
      delay_ms: number;
      error_code: ErrorCode | string;
    }
  | { type: 'host:connected'; host: string; handshake_ms: number }
  | { type: 'host:lost'; host: string; error_code: ErrorCode; message: string }
  | { type: 'host:excluded'; host: string; reason: string }
  /** The preflight of a host (once per run, before any upload): the basefile it gets, or why it is unusable. */
  | { type: 'host:checked'; host: string; status: 'ok' | 'warn' | 'unusable'; basefile: string | null; reason: string }
  | { type: 'breaker:open' | 'breaker:half-open' | 'breaker:closed'; target: string };

export type RunEventType = RunEvent['type'];
export type EventSink = (event: RunEvent) => void;
export const ignoreEvents: EventSink = () => {};

const GUARDED = Symbol('tea.guarded');

/**
 * An event sink that cannot break a run: a sink that throws is reported once on
 * `logger` and otherwise ignored, so the run's results (and its promise) stand.
 */
export function guardEvents(sink: EventSink, logger: Pick<Logger, 'warn'>): EventSink {
  if ((sink as { [GUARDED]?: true })[GUARDED]) return sink;
  let warned = false;
  const guarded: EventSink = (event) => {
    try {
      sink(event);
    } catch (error) {
      if (warned) return;
      warned = true;
      try {
        logger.warn(`an event handler threw on "${event.type}" (ignored, the run goes on): ${errorMessage(error)}`);
      } catch {
        /* nor can the logger */
      }
    }
  };
  return Object.assign(guarded, { [GUARDED]: true as const });
}
