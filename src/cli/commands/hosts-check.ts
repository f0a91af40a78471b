import { loadHostsCheck, loadWorkflowFile, raceAbort, TeaError } from '../../cli-api';
import { hostsClean } from './hosts-clean';
import { table, toJson } from './hosts-report';
import { parseCommandArgs, type Command } from '../command';
import { writeAll } from '../io';
import { stderrLogger } from '../logger';

const usage = `Usage: tea hosts check <workflow.yaml> [--json]
       tea hosts clean <workflow.yaml> [--dry-run] [--include-live] [--json]

check: checks every host of the workflow's settings.parallel.remote, as a run does before its
first upload: reachable, host key, authentication, OS and architecture against the
basefile each host would get, Node (for the JS artifact), free space and writability of
workdir, the version of a cached basefile, and how files will travel (SFTP, or exec channels
when SFTP is not usable there, and why), and leftovers of earlier runs in the workdir (run
directories and partial basefile uploads; dead, or live when another run still uses them).
Nothing is uploaded, nothing removed.

clean: removes the leftovers of dead runs from every host's workdir (after the same trust
check), including run directories kept by cleanup: false, and says what it removed. A run
directory is a dead run's when its marker was not refreshed for the stale_run_seconds that run
promised and no branch process of it runs (docs/remote-layout.md). Live runs' directories
are never removed unless --include-live is given (their branches then fail).

Options:
  --json          one JSON object per host (with every check and leftover), as a JSON array
  --dry-run       clean: list what would be removed, remove nothing
  --include-live  clean: also remove live runs' directories (another client's run fails)
  -h, --help      this help

Exit codes: 0 every host is usable (check) or was cleaned (clean), 1 at least one host is
unusable (check) or could not be looked at (clean), 2 bad usage or workflow.
`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `tea hosts check` and `tea hosts clean` (hosts-clean.ts). */
export const hostsCommand: Command = {
  name: 'hosts',
  summary: 'check the remote hosts of a workflow (tea hosts check), remove dead runs\' leftovers (tea hosts clean)',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === '--help' || sub === '-h' || sub === undefined) {
      await writeAll(sub === undefined ? io.stderr : io.stdout, usage);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'clean') return hostsClean(rest, io, usage);
    if (sub !== 'check') throw new TeaError('E_USAGE', `tea hosts: unknown subcommand "${sub}" (see "tea hosts --help")`);
    const { values, positionals } = parseCommandArgs('hosts check', { args: rest, options, allowPositionals: true, strict: true });
    if (values.help) {
      await writeAll(io.stdout, usage);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new TeaError('E_USAGE', `tea hosts check: expected one workflow file, got ${positionals.length} (see "tea hosts --help")`);
    }
    const workflow = await raceAbort(loadWorkflowFile(positionals[0]!), io.signal);
    // Loaded on use: ssh2 costs every other command (and every remote branch) ~40 ms of startup.
    const { checkHosts } = await loadHostsCheck();
    const reports = await checkHosts(workflow, { signal: io.signal, logger: stderrLogger(io.stderr, 'normal') });
    await writeAll(io.stdout, values.json ? `${JSON.stringify(reports.map(toJson), null, 2)}\n` : table(reports), io.signal);
    return reports.some((r) => r.status === 'unusable') ? 1 : 0;
  },
};
