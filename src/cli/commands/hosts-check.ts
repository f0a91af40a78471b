import { loadHostsCheck, loadWorkflowFile, raceAbort, TeaError } from '../../cli-api';
import type { PreflightReport } from '../../cli-api';
import { parseCommandArgs, type Command } from '../command';
import { writeAll } from '../io';
import { stderrLogger } from '../logger';

const usage = `Usage: tea hosts check <workflow.yaml> [--json]

Checks every host of the workflow's settings.parallel.remote, as a run does before its
first upload: reachable, host key, authentication, OS and architecture against the
basefile each host would get, Node (for the JS artifact), free space and writability of
workdir, the version of a cached basefile, and how files will travel (SFTP, or exec channels
when SFTP is not usable there, and why). Nothing is uploaded.

Options:
  --json       one JSON object per host (with every check), as a JSON array
  -h, --help   this help

Exit codes: 0 every host is usable, 1 at least one host is unusable, 2 bad usage or workflow.
`;

const options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `tea hosts <subcommand>`: only `check` for now. */
export const hostsCommand: Command = {
  name: 'hosts',
  summary: 'check the remote hosts of a workflow before running it (tea hosts check)',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === '--help' || sub === '-h' || sub === undefined) {
      await writeAll(sub === undefined ? io.stderr : io.stdout, usage);
      return sub === undefined ? 2 : 0;
    }
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

function table(reports: readonly PreflightReport[]): string {
  // host:port, unless two hosts share it (different users): then user@host:port.
  const addresses = reports.map((r) => r.address);
  const names = reports.map((r) => (addresses.filter((a) => a === r.address).length > 1 ? r.host : r.address));
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = reports.map((r, i) => `${names[i]!.padEnd(width)}  ${r.status.padEnd(8)}  ${r.reason}`);
  return `${'HOST'.padEnd(width)}  ${'STATUS'.padEnd(8)}  REASON\n${lines.join('\n')}\n`;
}

function toJson(report: PreflightReport): Record<string, unknown> {
  const { facts } = report;
  return {
    host: report.host,
    address: report.address,
    status: report.status,
    reason: report.reason,
    basefile: report.basefile?.localPath ?? null,
    basefile_why: report.basefileWhy ?? null,
    transfer: report.transfer === undefined ? null : { kind: report.transfer.kind, detail: report.transfer.detail },
    checks: report.checks,
    facts:
      facts === undefined
        ? null
        : { os: facts.os, machine: facts.machine, node: facts.node?.version ?? null, dir: facts.dir, free_bytes: facts.freeBytes, writable: facts.writable },
  };
}
