import { compileCondition } from './compile';
import type { Issues } from './issues';
import type { EdgeSpec } from './schema';
import type { Condition } from './types';

/**
 * `when: <expr>`, `condition: <expr>`, or `condition: {type: expression, value}` with an
 * optional boolean `when`. Undefined: no condition; null: a condition that did not compile.
 */
export function edgeCondition(spec: EdgeSpec, path: string, issues: Issues): Condition | null | undefined {
  let source: string | undefined;
  let expected = true;
  let at = path;
  if (typeof spec.condition === 'object') {
    source = spec.condition.value;
    at = `${path}.condition.value`;
    if (typeof spec.when === 'string') issues.add(`${path}.when`, 'with a condition object, "when" is the value it must equal: true or false');
    if (typeof spec.when === 'boolean') expected = spec.when;
  } else if (typeof spec.condition === 'string') {
    source = spec.condition;
    at = `${path}.condition`;
    if (spec.when !== undefined) issues.add(`${path}.when`, 'use either "when" or "condition", not both');
  } else if (typeof spec.when === 'string') {
    source = spec.when;
    at = `${path}.when`;
  } else if (typeof spec.when === 'boolean') {
    issues.add(`${path}.when`, 'a boolean "when" needs a condition object: { type: expression, value: <expr> }');
  }
  if (source === undefined) return undefined;
  const compiled = compileCondition(source, expected);
  if (compiled.ok) return compiled.value;
  issues.add(at, compiled.message);
  return null;
}
