/**
 * Preloaded (`node -r`) into a measured client process: writes the process's peak
 * RSS in KiB (getrusage maxrss) to $TEA_BENCH_RSS_FILE when it exits. Only the
 * process itself: children do not load it.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.TEA_BENCH_RSS_FILE;
if (out) {
  delete process.env.TEA_BENCH_RSS_FILE;
  process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
}
