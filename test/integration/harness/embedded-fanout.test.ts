/**
 * The built tea fans out over embedded SSH hosts (test/harness/embedded-sshd.js) with both
 * ways of moving files, SFTP and exec channels: the embedded host serves tea-remote as it
 * is, not one version of its remote command. OpenSSH behaviour is not the point here
 * (embedded-sshd.test.ts holds the host to it); the executor end to end is.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { EmbeddedSshCluster } from '../../harness/embedded-sshd';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '..', '..', '..');

function runTea(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'tea'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.each(['sftp', 'exec'])('tea run over embedded SSH hosts, transfer: %s', (transfer) => {
  let dir: string;
  let cluster: EmbeddedSshCluster;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tea-embedded-fanout-'));
    cluster = await EmbeddedSshCluster.start({ count: 2, dir: path.join(dir, 'hosts'), shell: '/bin/sh' });
  });
  afterAll(async () => {
    await cluster?.stop({ rm: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every branch on the hosts, one login each, and leaves no file behind', async () => {
    const d = cluster.describe();
    const jobs = path.join(dir, 'jobs');
    const doc = YAML.parseDocument(readFileSync(path.join(root, 'examples', 'remote-fanout.yaml'), 'utf8'));
    doc.setIn(['settings', 'parallel', 'remote', 'hosts'], d.hosts.map((h) => h.sshlogin));
    doc.setIn(['settings', 'parallel', 'remote', 'identity_file'], d.clientKeyPath);
    doc.setIn(['settings', 'parallel', 'remote', 'known_hosts'], d.knownHostsPath);
    doc.setIn(['settings', 'parallel', 'remote', 'workdir'], jobs);
    doc.setIn(['settings', 'parallel', 'remote', 'transfer'], transfer);
    const wf = path.join(dir, 'wf.yaml');
    writeFileSync(wf, String(doc));
    const out = path.join(dir, 'out.json');

    const res = await runTea(['run', wf, '-q', '--output', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const state = JSON.parse(readFileSync(out, 'utf8')) as { summary: Array<{ branch: string; ok: boolean; host: string }>; letters: number };
    expect(state.summary.map((s) => [s.branch, s.ok])).toEqual([['count_letters', true], ['shout', true], ['reverse', true]]);
    expect(new Set(state.summary.map((s) => s.host))).toEqual(new Set(d.hosts.map((h) => h.sshlogin)));
    expect(state.letters).toBe(9);
    expect(d.hosts.map((_, i) => cluster.countConnections(i))).toEqual([1, 1]);
    // cleanup: true removes the run's directory (only the content-addressed cache stays).
    expect(readdirSync(jobs).filter((n) => n !== '.cache')).toEqual([]);
  });
});
