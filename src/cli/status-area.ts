/**
 * A status area at the bottom of a terminal: one or two lines redrawn in place, with log
 * lines printed above it, whole. Line wrapping is never turned off: a log line longer
 * than the terminal wraps and stays readable in the scrollback. The status lines are
 * kept shorter than the terminal so they never wrap, which keeps the cursor arithmetic
 * exact; after a resize the rows they now take are recomputed from their lengths (a
 * terminal that reflows, such as tmux or xterm, rewraps them).
 */
export interface TerminalStream {
  write(text: string): boolean;
  columns?: number;
  /**
   * A tty stream's handle: its getWindowSize asks the terminal (ioctl TIOCGWINSZ) now. The
   * stream's own getWindowSize() and `columns` only repeat what the last SIGWINCH found.
   */
  _handle?: { getWindowSize?(size: number[]): number } | null;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

const ESC = '\u001b[';

export class StatusArea {
  /** What is on screen now: the status lines as drawn (the cursor is at the end of the last). */
  #drawn: string[] = [];
  #closed = false;
  readonly #onResize = () => this.redraw();

  constructor(
    private readonly stream: TerminalStream,
    /** The status lines for a given width; each must be shorter than `width`. */
    private readonly render: (width: number) => string[],
  ) {
    stream.on?.('resize', this.#onResize);
  }

  width(): number {
    // Ask the terminal first: between a resize and the signal that updates `columns` (tens of
    // ms on a loaded machine) a timer redraw at the old width leaves rewrapped copies behind.
    // (Node's public getWindowSize() returns the cached `columns`, so the handle is asked.)
    const now = this.#windowColumns();
    if (now !== undefined) return now;
    const columns = this.stream.columns;
    return typeof columns === 'number' && columns > 0 ? columns : 80;
  }

  /** Prints `text` (one or more lines) above the status area, then draws the area again. */
  log(text: string): void {
    const whole = text.endsWith('\n') ? text : `${text}\n`;
    if (this.#closed) {
      this.stream.write(whole);
      return;
    }
    this.stream.write(`${this.#erase()}${whole}${this.#draw()}`);
  }

  redraw(): void {
    if (this.#closed) return;
    this.stream.write(`${this.#erase()}${this.#draw()}`);
  }

  /** Leaves the last status on screen (it becomes ordinary output) and ends the line. */
  close(): void {
    if (this.#closed) return;
    this.stream.off?.('resize', this.#onResize);
    this.stream.write(`${this.#erase()}${this.#draw()}${this.#drawn.length > 0 ? '\n' : ''}`);
    this.#closed = true;
    this.#drawn = [];
  }

  /**
   * Clears the status rows one by one (erase-line, not erase-to-end-of-screen: a terminal
   * such as tmux moves a whole cleared screen into the scrollback, which would leave a
   * stale status there) and leaves the cursor at the start of the first.
   */
  #erase(): string {
    if (this.#drawn.length === 0) return '';
    const width = this.width();
    // Rows taken now: a line drawn at another width may have been rewrapped by the terminal.
    const rows = this.#drawn.reduce((n, line) => n + Math.max(1, Math.ceil(line.length / width)), 0);
    // The cursor sits after the last character, on the last row (at an exact multiple of
    // the width it stays there too: terminals defer the wrap).
    const up = rows - 1;
    let out = `\r${up > 0 ? `${ESC}${up}A` : ''}${ESC}2K`;
    for (let i = 0; i < up; i += 1) out += `${ESC}B${ESC}2K`;
    return up > 0 ? `${out}${ESC}${up}A` : out;
  }

  #windowColumns(): number | undefined {
    try {
      const size = [0, 0];
      if (this.stream._handle?.getWindowSize?.(size) !== 0) return undefined;
      return size[0]! > 0 ? size[0] : undefined;
    } catch {
      return undefined; // not a tty after all (closed, redirected): fall back to `columns`
    }
  }

  #draw(): string {
    const width = this.width();
    const lines = this.render(width).map((l) => (l.length >= width ? l.slice(0, Math.max(0, width - 1)) : l));
    this.#drawn = lines;
    return lines.join('\n');
  }
}
