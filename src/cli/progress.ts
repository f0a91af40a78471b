import { LOCAL_TARGET } from '../cli-api';
import type { RunEvent } from '../cli-api';
import { StatusArea, type TerminalStream } from './status-area';

/**
 * Progress of remote fan-outs on stderr. On a terminal: a status area at the bottom
 * (counts, elapsed time, ETA, and the branches running on each host), redrawn after
 * every event and log line and once a second, fitted to the terminal's width and
 * following resizes; log lines print above it, whole. Otherwise: plain
 * `tea: progress:` lines (one when a remote fan-out starts, one every `intervalMs`,
 * one when it ends).
 */
export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  tty: boolean;
  /** Non-TTY: milliseconds between periodic lines. */
  intervalMs?: number;
  /** TTY: milliseconds between redraws when nothing happens (elapsed time, ETA). */
  redrawMs?: number;
}

interface Counts {
  total: number;
  done: number;
  failed: number;
  retrying: number;
}

export class Progress {
  readonly #options: ProgressOptions;
  readonly #counts: Counts = { total: 0, done: 0, failed: 0, retrying: 0 };
  /** Where each running attempt is: `${index}:${branch}` -> host. */
  readonly #running = new Map<string, string>();
  readonly #retryingKeys = new Set<string>();
  #active = 0;
  #startedAt = 0;
  #area: StatusArea | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ProgressOptions) {
    this.#options = options;
  }

  readonly onEvent = (event: RunEvent): void => {
    switch (event.type) {
      case 'fanout:started': {
        const remote = event.branches.filter((b) => b.strategy === 'remote').length;
        if (remote === 0) return;
        if (this.#active === 0) this.#begin();
        this.#active += 1;
        this.#counts.total += remote;
        this.#line(`fan-out "${event.node}": ${remote} remote branch${remote === 1 ? '' : 'es'}`);
        this.#area?.redraw();
        return;
      }
      case 'fanout:finished': {
        if (!event.results.some((r) => r.strategy === 'remote') || this.#active === 0) return;
        this.#active -= 1;
        this.#line(`fan-out "${event.node}" ended in ${(event.duration_ms / 1000).toFixed(1)}s: ${this.#status()}`);
        if (this.#active === 0) this.stop();
        else this.#area?.redraw();
        return;
      }
      case 'flow:started':
        if (event.target === LOCAL_TARGET) return;
        this.#retryingKeys.delete(`${event.index}:${event.branch}`);
        this.#running.set(`${event.index}:${event.branch}`, event.target);
        break;
      case 'flow:retrying':
        if (event.target === LOCAL_TARGET) return;
        this.#running.delete(`${event.index}:${event.branch}`);
        this.#retryingKeys.add(`${event.index}:${event.branch}`);
        break;
      case 'flow:finished':
        if (event.target === LOCAL_TARGET || this.#active === 0) return;
        this.#running.delete(`${event.index}:${event.branch}`);
        this.#retryingKeys.delete(`${event.index}:${event.branch}`);
        this.#counts.done += 1;
        if (!event.success) this.#counts.failed += 1;
        break;
      default:
        return;
    }
    this.#counts.retrying = this.#retryingKeys.size;
    this.#area?.redraw();
  };

  /** Ends the display (its last state stays on screen) or the periodic lines; safe to call twice. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#area?.close();
    this.#area = null;
  }

  /** Log lines go above the status area, whole; without one, straight to the stream. */
  write(text: string): void {
    if (this.#area !== null) this.#area.log(text);
    else this.#options.stream.write(text);
  }

  #begin(): void {
    this.#startedAt = Date.now();
    if (this.#options.tty) {
      this.#area = new StatusArea(this.#options.stream as unknown as TerminalStream, (width) => this.#lines(width));
      this.#timer = setInterval(() => this.#area?.redraw(), this.#options.redrawMs ?? 1000);
    } else {
      this.#timer = setInterval(() => this.#line(this.#status()), this.#options.intervalMs ?? 5000);
    }
    this.#timer.unref();
  }

  /**
   * The status for a terminal `width` columns wide: one line when it all fits, else the
   * counts and the per-host detail on two lines, each shortened by whole items (never
   * mid-word), the hosts left out counted as "+N more".
   */
  #lines(width: number): string[] {
    const max = width - 1; // never the full width: a line that fills it would wrap
    const { total, done, failed, retrying } = this.#counts;
    const elapsed = `${Math.floor((Date.now() - this.#startedAt) / 1000)}s`;
    const eta = this.#eta();
    const summary = [`remote ${done}/${total} done`, `${failed} failed`, `${retrying} retrying`, `${this.#running.size} running`, elapsed, ...(eta === '' ? [] : [`ETA ${eta}`])];
    const hosts = this.#hostEntries();
    const head = fitItems(summary, ' | ', max, () => '');
    if (hosts.length === 0) return [head];
    const oneLine = `${summary.join(' | ')} | ${hosts.join(', ')}`;
    if (oneLine.length <= max && head === summary.join(' | ')) return [oneLine];
    return [head, fitItems(hosts, ', ', max - 2, (left) => `+${left} more`, '  ')];
  }

  #hostEntries(): string[] {
    const load = new Map<string, number>();
    for (const host of this.#running.values()) load.set(host, (load.get(host) ?? 0) + 1);
    return [...load].map(([host, n]) => `${host}: ${n}`);
  }

  #status(): string {
    const { total, done, failed, retrying } = this.#counts;
    const eta = this.#eta() === '' ? '' : `, ETA ${this.#eta()}`;
    const hosts = this.#hostEntries().join(', ');
    return `${done}/${total} done, ${failed} failed, ${retrying} retrying, ${this.#running.size} running${hosts === '' ? '' : ` (${hosts})`}${eta}`;
  }

  /** Mean time per finished branch so far times the branches left; '' before the first one ends. */
  #eta(): string {
    const { total, done } = this.#counts;
    if (done === 0 || done >= total) return '';
    return `${Math.ceil((((Date.now() - this.#startedAt) / done) * (total - done)) / 1000)}s`;
  }

  /** Plain lines only when not drawing on a terminal. */
  #line(text: string): void {
    if (!this.#options.tty) this.#options.stream.write(`tea: progress: ${text}\n`);
  }
}

/**
 * As many whole items as fit in `max` characters, joined by `sep`, with `more(n)` for
 * the n left out when that still fits. Never cuts an item.
 */
export function fitItems(items: readonly string[], sep: string, max: number, more: (left: number) => string, prefix = ''): string {
  let out = prefix;
  let shown = 0;
  for (const item of items) {
    // Everything left fits: no "+N more" needed.
    const rest = items.slice(shown).join(sep);
    if ((shown === 0 ? out.length : out.length + sep.length) + rest.length <= max) return shown === 0 ? `${out}${rest}` : `${out}${sep}${rest}`;
    const next = shown === 0 ? `${out}${item}` : `${out}${sep}${item}`;
    const left = items.length - shown - 1;
    const tail = left > 0 ? more(left) : '';
    // Keep room for the "+N more" that would follow if a later item does not fit.
    if (next.length + (tail === '' ? 0 : sep.length + tail.length) > max && !(left === 0 && next.length <= max)) break;
    out = next;
    shown += 1;
  }
  const left = items.length - shown;
  if (left > 0) {
    const tail = more(left);
    if (tail !== '') out = shown === 0 ? `${out}${tail}` : `${out}${sep}${tail}`;
  }
  return out;
}
