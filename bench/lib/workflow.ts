import YAML from 'yaml';
import type { Work } from './args';

/** The fan-in node: every branch runs from bN up to (not including) it. */
export const JOIN = 'join';
/** What the state holds when it fans out; a branch that ran returns it (stub) or extends it (tea). */
export const FANOUT_N = 21;

export const branchNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `b${i}`);

/** The state every branch starts from: the fan-out hands each branch a copy of it. */
export function branchInput(work: Work): Record<string, unknown> {
  return { n: FANOUT_N, expect_out: work === 'tea' };
}

/** Did branch `index` produce its result (real tea: `out` and `b` computed on the host; stub: the input copied back)? */
export function isGoodResult(text: string | null | undefined, index: number, work: Work): boolean {
  if (text === null || text === undefined) return false;
  try {
    const s = JSON.parse(text) as Record<string, unknown>;
    if (s.n !== FANOUT_N) return false;
    return work === 'stub' || (s.out === FANOUT_N * 2 && s.b === index);
  } catch {
    return false;
  }
}

/** What the fan-in node reports; the bench reads it from `tea run --output`. */
export interface JoinSummary {
  ok: number;
  lost: number;
  retries: number;
  first_error: string | null;
  /** Duration of each branch's last attempt on its host, ms (dispatch + remote run + read-back). */
  latency_ms: number[];
  per_host: Record<string, number>;
}

const JOIN_CODE = `
const good = (r, i) => r.success && r.state && r.state.n === state.n
  && (!state.expect_out || (r.state.out === state.n * 2 && r.state.b === i));
const ok = parallel_results.filter(good).length;
const failed = parallel_results.find((r, i) => !good(r, i));
const per_host = {};
for (const r of parallel_results) per_host[r.host] = (per_host[r.host] || 0) + 1;
return {
  summary: {
    ok,
    lost: parallel_results.length - ok,
    retries: parallel_results.reduce((a, r) => a + (r.retry_count || 0), 0),
    first_error: failed ? String(failed.error || 'wrong result: ' + JSON.stringify(failed.state)) : null,
    latency_ms: parallel_results.map((r) => (r.attempts && r.attempts.length ? r.attempts[r.attempts.length - 1].duration_ms : r.timing_ms)),
    per_host,
  },
};
`;

/**
 * A workflow whose start node fans out to `n` branch nodes (b0..b{n-1}) joined by
 * `join`. Every transport ships this same text and runs the same scoped
 * `tea run workflow.yaml --entry-point bI --exit-point join` per branch.
 */
export function fanoutWorkflow(n: number, work: Work, parallel: Record<string, unknown>): string {
  const names = branchNames(n);
  const doc = {
    name: `bench-fanout-${n}`,
    initial_state: branchInput(work),
    settings: { parallel },
    nodes: [
      { name: 'start', run: 'return {};' },
      ...names.map((b, i) => ({ name: b, run: `return { out: state.n * 2, b: ${i} };` })),
      { name: JOIN, run: JOIN_CODE.trim() },
    ],
    edges: [
      { from: '__start__', to: 'start' },
      { from: 'start', to: names, type: 'parallel', fan_in: JOIN },
      ...names.map((b) => ({ from: b, to: JOIN })),
      { from: JOIN, to: '__end__' },
    ],
  };
  return YAML.stringify(doc, { lineWidth: 0 });
}
