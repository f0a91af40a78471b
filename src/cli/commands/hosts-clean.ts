import { loadHostsCheck, loadWorkflowFile, raceAbort, TeaError } from '../../cli-api';
import type { Leftover, PreflightReport } from '../../cli-api';
import { parseCommandArgs } from '../command';
import type { CliIo } from '../io';
import { writeAll } from '../io';
import { stderrLogger } from '../logger';
import { toJson } from './hosts-report';

const KIND_WORDS: Record<Leftover['kind'], string> = { run: 'run directory', upload: 'partial upload', probe: 'preflight probe directory' };

const options = {
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'include-live': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `tea hosts clean <workflow>`: the preflight of every host with the leftover sweep
 * (leftovers.ts) in purge mode: dead runs' directories, directories kept by cleanup: false
 * and stale partial uploads go; live runs' only with --include-live. `--dry-run` lists.
 */
export async function hostsClean(args: string[], io: CliIo, usage: string): Promise<number> {
  const { values, positionals } = parseCommandArgs('hosts clean', { args, options, allowPositionals: true, strict: true });
  if (values.help) {
    await writeAll(io.stdout, usage, io.signal);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new TeaError('E_USAGE', `tea hosts clean: expected one workflow file, got ${positionals.length} (see "tea hosts --help")`);
  }
  if (values['dry-run'] && values['include-live']) throw new TeaError('E_USAGE', 'tea hosts clean: --dry-run and --include-live do not go together (see "tea hosts --help")');
  const workflow = await raceAbort(loadWorkflowFile(positionals[0]!), io.signal);
  const logger = stderrLogger(io.stderr, 'normal');
  if (values['include-live']) logger.warn('--include-live: live runs\' directories are removed too; their branches fail');
  const { checkHosts } = await loadHostsCheck();
  const mode = values['dry-run'] ? 'list' : values['include-live'] ? 'all' : 'purge';
  const reports = await checkHosts(workflow, { signal: io.signal, logger, leftovers: mode });
  const dryRun = values['dry-run'] === true;
  if (values.json) {
    await writeAll(io.stdout, `${JSON.stringify(reports.map(toJson), null, 2)}\n`, io.signal);
  } else {
    await writeAll(io.stdout, reports.map((r) => hostLines(r, dryRun)).join(''), io.signal);
  }
  // A host whose workdir could not be looked at (unreachable, untrusted) was not cleaned.
  return reports.some((r) => !cleaned(r)) ? 1 : 0;
}

function cleaned(report: PreflightReport): boolean {
  return report.facts !== undefined && report.facts.untrusted.length === 0;
}

function hostLines(report: PreflightReport, dryRun: boolean): string {
  if (!cleaned(report)) return `${report.host}: not cleaned: ${report.reason}\n`;
  const leftovers = report.facts!.leftovers;
  if (leftovers.length === 0) return `${report.host}: no leftovers\n`;
  return leftovers.map((l) => `${report.host}: ${verb(l, dryRun)} ${l.path} (${KIND_WORDS[l.kind]}, ${l.state}${l.client === '' ? '' : `, client ${l.client}`})\n`).join('');
}

function verb(l: Leftover, dryRun: boolean): string {
  if (l.removed) return 'removed';
  const live = l.state === 'live' || l.state === 'busy';
  if (dryRun) return live ? 'would keep (live)' : 'would remove';
  return live ? 'kept (live; --include-live removes it)' : 'NOT removed';
}
