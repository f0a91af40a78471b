import { TeaError } from '../errors';
import type { State } from '../executors/types';

/**
 * Where `value` stops being JSON, or null when it is JSON (after JSON's own
 * conversions: NaN and Infinity become null, undefined members are dropped, a Date
 * or anything with toJSON() becomes what toJSON returns). A BigInt, function,
 * symbol, cycle, Map, Set or other class instance without toJSON is not JSON: JSON
 * would throw on it or silently drop or empty it.
 */
export function nonJsonPath(value: unknown, path = 'state'): { path: string; what: string } | null {
  const seen = new Set<object>();
  const walk = (v: unknown, at: string): { path: string; what: string } | null => {
    switch (typeof v) {
      case 'bigint':
        return { path: at, what: 'a BigInt' };
      case 'function':
        return { path: at, what: 'a function' };
      case 'symbol':
        return { path: at, what: 'a symbol' };
      case 'undefined':
        // Dropped from objects, null in arrays: the same JSON on every strategy.
        return null;
      case 'object': {
        if (v === null) return null;
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return null;
        if (seen.has(v)) return { path: at, what: 'a reference back to an enclosing object (a cycle)' };
        const proto: unknown = Object.getPrototypeOf(v);
        if (Array.isArray(v)) {
          seen.add(v);
          for (let i = 0; i < v.length; i += 1) {
            const bad = walk(v[i], `${at}[${i}]`);
            if (bad !== null) return bad;
          }
          seen.delete(v);
          return null;
        }
        // A plain object of any realm (node code runs in its own vm context): its prototype is a root.
        if (proto !== null && Object.getPrototypeOf(proto) !== null) {
          const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          return { path: at, what: `a ${name}` };
        }
        seen.add(v);
        for (const [key, member] of Object.entries(v)) {
          const bad = walk(member, /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`);
          if (bad !== null) return bad;
        }
        seen.delete(v);
        return null;
      }
      default:
        return null;
    }
  };
  return walk(value, path);
}

/**
 * The state a branch gets, on every strategy: the JSON round trip that process and
 * remote branches imply (their state travels as JSON), done once here so `thread`
 * branches see exactly the same values. A state that is not JSON is E_STATE_INVALID,
 * naming the path, before anything runs or is staged (never retried).
 */
export function branchState(state: State, after: string): State {
  const bad = nonJsonPath(state);
  if (bad !== null) {
    throw new TeaError(
      'E_STATE_INVALID',
      `the state after node "${after}" is not JSON at ${bad.path} (${bad.what}): branches get a JSON copy of the state on every strategy; convert the value (e.g. a BigInt to a string) in the node that sets it`,
    );
  }
  return JSON.parse(JSON.stringify(state)) as State;
}
