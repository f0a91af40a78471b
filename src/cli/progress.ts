import { MultiBar, type SingleBar } from 'cli-progress';
import type { RunEvent } from '../events';
import { LOCAL_TARGET } from '../executors/local';

/**
 * Progress of remote fan-outs on stderr: a cli-progress bar when stderr is a TTY,
 * plain `tea: progress:` lines otherwise (one when a remote fan-out starts, one every
 * `intervalMs`, one when it ends). Counts branches done / failed / retrying / total,
 * the branches running on each host, and an ETA from the mean time per branch so far.
 */
export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  tty: boolean;
  /** Non-TTY: milliseconds between periodic lines. */
  intervalMs?: number;
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
  #bars: MultiBar | null = null;
  #bar: SingleBar | null = null;
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
        this.#render();
        return;
      }
      case 'fanout:finished': {
        if (!event.results.some((r) => r.strategy === 'remote') || this.#active === 0) return;
        this.#active -= 1;
        this.#line(`fan-out "${event.node}" ended in ${(event.duration_ms / 1000).toFixed(1)}s: ${this.#status()}`);
        if (this.#active === 0) this.stop();
        else this.#render();
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
    this.#render();
  };

  /** Ends the bar or the periodic lines; safe to call twice. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#bars !== null) {
      this.#render();
      this.#bars.stop();
      this.#bars = null;
      this.#bar = null;
    }
  }

  /** Log lines while a bar is drawn go above it (not through it); otherwise straight to the stream. */
  write(text: string): void {
    if (this.#bars !== null) this.#bars.log(text.endsWith('\n') ? text : `${text}\n`);
    else this.#options.stream.write(text);
  }

  #begin(): void {
    this.#startedAt = Date.now();
    if (this.#options.tty) {
      this.#bars = new MultiBar({
        stream: this.#options.stream as NodeJS.WriteStream,
        format: 'remote [{bar}] {value}/{total} done | {failed} failed | {retrying} retrying | ETA {eta_text} | {hosts}',
        hideCursor: true,
        clearOnComplete: false,
      });
      this.#bar = this.#bars.create(this.#counts.total, 0, this.#payload());
    } else {
      this.#timer = setInterval(() => this.#line(this.#status()), this.#options.intervalMs ?? 5000);
      this.#timer.unref();
    }
  }

  #payload(): Record<string, string | number> {
    return { failed: this.#counts.failed, retrying: this.#counts.retrying, eta_text: this.#eta() || '-', hosts: this.#hostLoad() || 'no branch running' };
  }

  #hostLoad(): string {
    const load = new Map<string, number>();
    for (const host of this.#running.values()) load.set(host, (load.get(host) ?? 0) + 1);
    return [...load].map(([host, n]) => `${host}: ${n}`).join(', ');
  }

  #status(): string {
    const { total, done, failed, retrying } = this.#counts;
    const eta = this.#eta() === '' ? '' : `, ETA ${this.#eta()}`;
    const hosts = this.#hostLoad();
    return `${done}/${total} done, ${failed} failed, ${retrying} retrying, ${this.#running.size} running${hosts === '' ? '' : ` (${hosts})`}${eta}`;
  }

  /** Mean time per finished branch so far times the branches left; '' before the first one ends. */
  #eta(): string {
    const { total, done } = this.#counts;
    if (done === 0 || done >= total) return '';
    return `${Math.ceil((((Date.now() - this.#startedAt) / done) * (total - done)) / 1000)}s`;
  }

  #render(): void {
    if (this.#bar === null) return;
    this.#bar.setTotal(this.#counts.total);
    this.#bar.update(this.#counts.done, this.#payload());
  }

  /** Plain lines only when not drawing a bar. */
  #line(text: string): void {
    if (this.#bar === null) this.#options.stream.write(`tea: progress: ${text}\n`);
  }
}
