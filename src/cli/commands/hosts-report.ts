import type { Leftover, PreflightReport } from '../../cli-api';

/** How `tea hosts check` and `tea hosts clean` print preflight reports. */

export function table(reports: readonly PreflightReport[]): string {
  // host:port, unless two hosts share it (different users): then user@host:port.
  const addresses = reports.map((r) => r.address);
  const names = reports.map((r) => (addresses.filter((a) => a === r.address).length > 1 ? r.host : r.address));
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = reports.map((r, i) => `${names[i]!.padEnd(width)}  ${r.status.padEnd(8)}  ${r.reason}`);
  return `${'HOST'.padEnd(width)}  ${'STATUS'.padEnd(8)}  REASON\n${lines.join('\n')}\n`;
}

export function toJson(report: PreflightReport): Record<string, unknown> {
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
    leftovers: facts === undefined ? null : facts.leftovers.map(leftoverJson),
  };
}

export function leftoverJson(l: Leftover): Record<string, unknown> {
  return { path: l.path, kind: l.kind, state: l.state, age_seconds: l.ageSeconds, client: l.client || null, removed: l.removed };
}
