/**
 * Lifecycles of a library caller's run against real sshd (issue 16): the process
 * exits as soon as runWorkflow resolves (no timer or socket left by the remote
 * executor), and an unreadable known_hosts rejects the run instead of crashing the
 * process from inside the handshake. Each runs in a child process, as an embedder would.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';

jest.setTimeout(120_000);

const LIB = path.resolve(__dirname, '..', '..', '..', 'dist', 'lib', 'index.js');

/** Runs `script` with node; resolves with its exit code, stdout and when it exited. */
function runNode(script: string): Promise<{ code: number | null; stdout: string; stderr: string; exitedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const exitedAt = Date.now();
      child.on('close', () => resolve({ code, stdout, stderr, exitedAt }));
    });
  });
}

const workflow = (remote: Record<string, unknown>) => `
settings:
  parallel:
    strategy: remote
    retry: { max_retries: 0 }
    remote: ${JSON.stringify(remote)}
nodes:
  - { name: start }
  - { name: a, run: "return { a: 1 }" }
  - { name: b, run: "return { b: 2 }" }
  - { name: join, run: "return { got: parallel_results.map((r) => r.success) }" }
edges:
  - { from: start, to: [a, b], type: parallel, fan_in: join }
  - { from: a, to: join }
  - { from: b, to: join }
`;

/** The embedder: runs the workflow, prints the outcome and the time it resolved, and does nothing else. */
const embedder = (yaml: string) => `
const tea = require(${JSON.stringify(LIB)});
tea.runWorkflow(tea.loadWorkflow(${JSON.stringify(yaml)})).then(
  (state) => console.log(JSON.stringify({ ok: true, state, resolvedAt: Date.now() })),
  (error) => console.log(JSON.stringify({ ok: false, code: error.code, message: error.message, resolvedAt: Date.now() })),
);
`;

describe('a library caller', () => {
  let fx: LocalHostsFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 1 });
    dir = mkdtempSync(path.join(tmpdir(), 'tea-lifecycle-'));
  });
  afterAll(async () => {
    await fx.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits within a few hundred ms of runWorkflow resolving: close() leaves no timer or socket', async () => {
    const run = await runNode(embedder(workflow(fx.remoteConfig())));
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { ok: boolean; state: { got: boolean[] }; resolvedAt: number };
    expect(out).toMatchObject({ ok: true, state: { got: [true, true] } });
    expect(run.code).toBe(0);
    // Before: HostConnection.close() left a 2 s timer, so the process lived ~2 s longer.
    expect(run.exitedAt - out.resolvedAt).toBeLessThan(800);
  });

  it('known_hosts that is a directory (EISDIR): the run rejects, naming the file, and the process does not crash', async () => {
    // (EACCES is the unit test's: this suite may run as root, which reads any file.)
    const knownHosts = path.join(dir, 'known_hosts-dir');
    mkdirSync(knownHosts);
    const run = await runNode(embedder(workflow(fx.remoteConfig({ known_hosts: knownHosts, strict_host_key_checking: 'yes' }))));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; code: string; message: string };
    expect(out).toMatchObject({ ok: false, code: 'E_BRANCH_FAILED' });
    expect(out.message).toContain(`cannot check the host key: known_hosts ${knownHosts} cannot be used (EISDIR`);
  });
});
