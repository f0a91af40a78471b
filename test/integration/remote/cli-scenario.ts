/**
 * The end-to-end scenario shared by the integration (local sshd) and e2e (docker)
 * suites: the built `tea` CLI runs examples/remote-fanout.yaml with strategy remote
 * against the fixture's hosts; the fan-in sees one result per branch, from a host.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import type { HostsFixture } from '../../harness/hosts';

const ROOT = resolve(__dirname, '../../..');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  state: Record<string, unknown> | null;
}

/** Writes examples/remote-fanout.yaml pointed at the fixture's hosts and runs `dist/tea run` on it. */
export function runExampleOnHosts(
  fx: HostsFixture,
  remote: Record<string, unknown> = {},
  args: string[] = [],
  edit: (doc: YAML.Document) => void = () => {},
): CliRun {
  const dir = mkdtempSync(join(tmpdir(), 'tea-cli-remote-'));
  const doc = YAML.parseDocument(readFileSync(join(ROOT, 'examples/remote-fanout.yaml'), 'utf8'));
  doc.setIn(['settings', 'parallel', 'remote'], doc.createNode(fx.remoteConfig(remote)));
  edit(doc);
  const workflow = join(dir, 'workflow.yaml');
  writeFileSync(workflow, String(doc));
  const output = join(dir, 'out.json');
  const run = spawnSync(process.execPath, [join(ROOT, 'dist/tea'), 'run', workflow, '--output', output, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  let state: Record<string, unknown> | null = null;
  try {
    state = JSON.parse(readFileSync(output, 'utf8'));
  } catch {
    state = null;
  }
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, state };
}

/** The assertions both suites make on a successful run of the example. */
export function expectExampleResult(fx: HostsFixture, run: CliRun): void {
  expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
  expect(run.state).toMatchObject({
    words: ['ssh', 'fan', 'out'],
    letters: 9,
    shouted: ['SSH', 'FAN', 'OUT'],
    reversed: ['out', 'fan', 'ssh'],
  });
  const summary = run.state!.summary as Array<{ branch: string; ok: boolean; host: string }>;
  expect(summary.map((s) => s.branch)).toEqual(['count_letters', 'shout', 'reverse']);
  for (const s of summary) {
    expect(s.ok).toBe(true);
    expect(fx.hosts.map((h) => h.sshlogin)).toContain(s.host);
  }
  expect(run.stderr).toContain('pure-Node ssh2 transport');
}
