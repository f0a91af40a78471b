import { quote } from '../remote/command/quote';
import type { GnuParallelPlan } from './gnu-parallel';

export interface ScriptInfo {
  /** The node that fans out, and its fan-in node. */
  from: string;
  fanIn: string;
  branches: number;
}

/**
 * run.sh for a staged plan: runs from its own directory wherever it is called from,
 * drops the outputs of an earlier run first (so a stale result.json is never read
 * as this run's), and exits with GNU Parallel's status (the number of failed
 * branches, 0 when all succeeded). Names from the workflow only appear JSON-escaped
 * in comments, so none can end a comment line.
 */
export function runScript(plan: GnuParallelPlan, info: ScriptInfo, branches: readonly string[] = []): string {
  const lines = [
    '#!/bin/sh',
    `# GNU Parallel plan for the fan-out from ${JSON.stringify(info.from)} (${info.branches} remote branch${info.branches === 1 ? '' : 'es'}, fan-in ${JSON.stringify(info.fanIn)}), written by \`tea plan\`.`,
    '# Leaves branch i\'s final state in flows/i/result.json, its stdout and stderr in flows/i/out and',
    '# flows/i/out.err, and one line per branch in joblog.tsv. Exit status: the number of failed branches.',
    '# Needs here: GNU Parallel, ssh, rsync. On each host: perl, rsync, and what ./tea needs (Node >= 18).',
    'cd -- "$(dirname -- "$0")" || exit 2',
    'rm -f -- joblog.tsv flows/*/result.json flows/*/out flows/*/out.err flows/*/out.seq',
    plan.run.line,
    'status=$?',
    ...failureReport(branches),
  ];
  if (plan.sweep.length > 0) lines.push(`# cleanup: remove ${JSON.stringify(plan.remoteDir)} from every host (what failed or timed-out jobs left)`);
  for (const sweep of plan.sweep) {
    const host = sweep.argv.at(-2)!;
    lines.push(`${sweep.line} || echo ${quote(`tea plan: could not remove ${plan.remoteDir} from ${host}`)} >&2`);
  }
  lines.push('exit "$status"', '');
  return lines.join('\n');
}

/** DIR/run.sh when the workflow has several remote fan-outs: runs each one's script in turn. */
export function allScript(dirs: readonly string[]): string {
  return [
    '#!/bin/sh',
    '# Runs the GNU Parallel plan of every remote fan-out in turn, written by `tea plan`.',
    '# Each gets the same input state; exit status: the first non-zero one.',
    'cd -- "$(dirname -- "$0")" || exit 2',
    'status=0',
    ...dirs.map((d) => `./${quote(d)}/run.sh || { rc=$?; [ "$status" -eq 0 ] && status=$rc; }`),
    'exit "$status"',
    '',
  ].join('\n');
}

/**
 * When branches failed, one line per failed branch on stderr with the reason its tea
 * printed (its `Error:` line in flows/i/out.err), so the script never fails silently.
 */
function failureReport(branches: readonly string[]): string[] {
  if (branches.length === 0) return [];
  return [
    'if [ "$status" -ne 0 ]; then',
    '  failed() {',
    '    [ -f "flows/$1/result.json" ] && return 0',
    '    why=$(grep -m 1 \'^Error: \' "flows/$1/out.err" 2>/dev/null | cut -c 8-)',
    '    [ -n "$why" ] || why=$(tail -n 1 "flows/$1/out.err" 2>/dev/null)',
    '    printf \'tea plan: branch %s failed: %s (its output: %s)\\n\' "$2" "${why:-no result and no output}" "$PWD/flows/$1/out.err" >&2',
    '  }',
    ...branches.map((b, i) => `  failed ${i} ${quote(b)}`),
    `  printf 'tea plan: %s of ${branches.length} branch${branches.length === 1 ? '' : 'es'} failed; every job: %s\\n' "$status" "$PWD/joblog.tsv" >&2`,
    'fi',
  ];
}
