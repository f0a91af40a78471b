import { type Basefile, hostLabel, loadDryRunChecks, reachableFanOuts, resolveScope, TeaError } from '../cli-api';
import type { State, Strategy, Workflow } from '../cli-api';

/**
 * `tea run --dry-run`: what a run would do, worked out from the workflow, the config
 * and the local files only. It resolves hosts and keys and fingerprints the basefile
 * but opens no connection. Branches are dispatched dynamically (to the least loaded
 * healthy host when a slot frees up), so the plan lists the hosts and slots rather
 * than a fixed branch-to-host assignment.
 */
export interface DryRunPlan {
  workflow: { path: string | null; name: string | null; bytes: number; nodes: number };
  scope: { entry: string; exit: string };
  input_bytes: number;
  fanouts: Array<{ node: string; fan_in: string; branches: Array<{ branch: string; strategy: Strategy }> }>;
  remote: null | {
    dispatch: 'dynamic';
    hosts: Array<{
      id: string;
      /** What is connected to (ssh_config HostName, else the name in hosts), port and login user, as `ssh -G` resolves them. */
      hostname: string;
      port: number;
      user: string;
      /** ProxyJump hops in the order they are connected through (`user@host:port` each); empty when direct. */
      jumps: string[];
      /** The known_hosts file checked and written, and the StrictHostKeyChecking mode (YAML, else ssh_config, else defaults). */
      known_hosts: string;
      strict_host_key_checking: string;
      slots: number;
      agent: string | null;
      /** Keys the agent holds (null: no agent, or it did not answer). */
      agent_keys: number | null;
      identities: string[];
      /** Why the host cannot be used as configured (it is also in `warnings`); null when it can. */
      problem: string | null;
    }>;
    total_slots: number;
    upload: {
      /** Candidates; with no configured basefile each host gets one at its preflight (JS artifact if it has Node >= 18, else the binary for its platform). */
      basefiles: Array<{ use: string; local_path: string; bytes: number; sha256: string; remote_path: string }>;
      workflow: { remote_path: string; bytes: number };
      per_branch: string;
      /** settings.parallel.remote.transfer and what it means per host (decided by each host's preflight). */
      transfer: string;
    };
    cleanup: boolean;
    warnings: string[];
  };
}

const TRANSFER_PLAN = {
  auto: 'auto: SFTP on hosts whose preflight finds it usable beside exec, else files over exec channels (`tea hosts check` shows each host\'s choice and why)',
  sftp: 'sftp: over SFTP only; a host without usable SFTP is excluded at its preflight',
  exec: 'exec: files over exec channels (no SFTP needed)',
} as const;

/** Whether the plan found a host that cannot be used: `tea run --dry-run` then exits 2. */
export function dryRunFailed(plan: DryRunPlan): boolean {
  return plan.remote?.hosts.some((h) => h.problem !== null) ?? false;
}

export async function planDryRun(workflow: Workflow, entryPoint: string | undefined, exitPoint: string | undefined, input: State): Promise<DryRunPlan> {
  const { checkHostsLocally, BasefileCatalog, basefilePath, runLayout } = await loadDryRunChecks();
  const scope = resolveScope(workflow.graph, entryPoint, exitPoint);
  const config = workflow.parallel;
  const fanouts = reachableFanOuts(workflow.graph, scope.entry, scope.exit).map((node) => {
    const route = workflow.graph.routes.get(node)!;
    if (route.kind !== 'fan-out') throw new Error('unreachable');
    return { node, fan_in: route.fanIn, branches: route.branches.map((b) => ({ branch: b.target, strategy: b.strategy ?? config.strategy })) };
  });
  const usesRemote = fanouts.some((f) => f.branches.some((b) => b.strategy === 'remote'));
  let remote: DryRunPlan['remote'] = null;
  if (usesRemote) {
    if (config.remote === undefined) {
      // The same check the remote executor makes, made before anything runs.
      throw new TeaError('E_CONFIG_INVALID', 'settings.parallel.remote: required for strategy "remote" (at least `hosts`)');
    }
    const check = await checkHostsLocally(config.remote);
    const { hosts } = check;
    const problems = new Map(check.unusable.map((u) => [u.id, u.reason]));
    const warnings = [...check.warnings, ...check.unusable.map((u) => `${u.id}: ${u.reason}`)];
    const catalog = BasefileCatalog.forConfig(config.remote.basefile);
    const layout = runLayout(config.remote.workdir, '<run-id>', '<host-slug>');
    const candidates: Array<[string, Basefile | null]> =
      catalog.configured !== null
        ? [['every host (settings.parallel.remote.basefile)', catalog.configured]]
        : [
            ['hosts with Node >= 18', catalog.jsArtifact()],
            ['linux-x64 hosts without Node', catalog.binaryFor('linux-x64')],
            ['linux-arm64 hosts without Node', catalog.binaryFor('linux-arm64')],
          ];
    remote = {
      dispatch: 'dynamic',
      hosts: hosts.map((h) => ({
        id: h.id,
        hostname: h.host,
        port: h.port,
        user: h.user,
        jumps: h.jumps.map((j) => hostLabel(j.host, j.port, j.user)),
        known_hosts: h.knownHosts,
        strict_host_key_checking: h.strictHostKeyChecking,
        slots: h.slots,
        agent: h.agent ?? null,
        agent_keys: h.agentKeys ?? null,
        identities: h.identities.map((i) => i.path),
        problem: problems.get(h.id) ?? null,
      })),
      total_slots: hosts.reduce((n, h) => n + h.slots, 0),
      upload: {
        basefiles: candidates
          .filter((c): c is [string, Basefile] => c[1] !== null)
          .map(([use, b]) => ({ use, local_path: b.localPath, bytes: b.size, sha256: b.sha256, remote_path: basefilePath(layout, b.sha256) })),
        workflow: { remote_path: layout.workflow, bytes: Buffer.byteLength(workflow.branchText) },
        per_branch: `${layout.runDir}/<fanout>-<index>-a<attempt>/input.json: the state after the fan-out node (known only at run time); result.json is read back`,
        transfer: TRANSFER_PLAN[config.remote.transfer],
      },
      cleanup: config.remote.cleanup,
      warnings,
    };
  }
  return {
    workflow: { path: workflow.path ?? null, name: workflow.name ?? null, bytes: Buffer.byteLength(workflow.text), nodes: workflow.graph.nodes.size },
    scope: { entry: scope.entry, exit: scope.exit },
    input_bytes: Buffer.byteLength(JSON.stringify(input)),
    fanouts,
    remote,
  };
}

export function formatDryRun(plan: DryRunPlan): string {
  const lines: string[] = [];
  lines.push(`workflow ${plan.workflow.path ?? '(inline)'}: ${plan.workflow.nodes} nodes, valid; scope ${plan.scope.entry} -> ${plan.scope.exit}; input ${plan.input_bytes} bytes`);
  if (plan.fanouts.length === 0) lines.push('no fan-outs in scope: every node runs in this process');
  for (const f of plan.fanouts) {
    lines.push(`fan-out "${f.node}" -> fan-in "${f.fan_in}": ${f.branches.length} branches`);
    for (const b of f.branches) lines.push(`  ${b.branch}\t${b.strategy}`);
  }
  const r = plan.remote;
  if (r !== null) {
    lines.push(`remote hosts (${r.total_slots} slots; each remote branch goes to the least loaded healthy host when a slot frees up):`);
    for (const h of r.hosts) {
      const agent = h.agent === null ? [] : [`ssh-agent ${h.agent}${h.agent_keys === null ? '' : ` (${h.agent_keys} key${h.agent_keys === 1 ? '' : 's'})`}`];
      const auth = [...agent, ...h.identities];
      const via = h.jumps.length === 0 ? '' : ` via ${h.jumps.join(' -> ')}`;
      lines.push(`  ${h.id}\tslots ${h.slots}`);
      lines.push(`    connects to ${hostLabel(h.hostname, h.port, h.user)}${via}`);
      lines.push(`    host key checked against ${h.known_hosts} (strict_host_key_checking ${h.strict_host_key_checking})`);
      lines.push(`    auth ${auth.length === 0 ? 'none' : auth.join(', ')}`);
      if (h.problem !== null) lines.push(`    UNUSABLE: ${h.problem}`);
    }
    lines.push('would upload to each host (files already in the cache are not uploaded again):');
    for (const b of r.upload.basefiles) lines.push(`  basefile ${b.local_path} (${b.bytes} bytes, sha256 ${b.sha256.slice(0, 12)}) -> ${b.remote_path} for ${b.use}`);
    lines.push(`  workflow.yaml (${r.upload.workflow.bytes} bytes) -> ${r.upload.workflow.remote_path}`);
    lines.push(`  per branch: ${r.upload.per_branch}`);
    lines.push(`  transfer: ${r.upload.transfer}`);
    lines.push(`cleanup: ${r.cleanup ? 'the run directory is removed when the run ends' : 'off: the run directory stays'}`);
  }
  const shown = new Set((r?.hosts ?? []).filter((h) => h.problem !== null).map((h) => `${h.id}: ${h.problem}`));
  for (const w of r?.warnings ?? []) if (!shown.has(w)) lines.push(`warning: ${w}`);
  if (shown.size > 0) lines.push(`dry run: ${shown.size} host${shown.size === 1 ? '' : 's'} cannot be used as configured (UNUSABLE above): fix that before running`);
  lines.push('dry run: nothing was run and no connection was opened');
  return `${lines.join('\n')}\n`;
}
