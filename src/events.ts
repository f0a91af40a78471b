import type { ErrorCode } from './errors';

/**
 * The closed set of events a run emits, so embedders (and the CLI's progress
 * display) can observe it. Adding a member is an API change: update docs/events.md.
 */
export type RunEvent =
  | { type: 'method'; method: 'thread' | 'process' | 'ssh2' | 'gnu-parallel'; reason: string }
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
