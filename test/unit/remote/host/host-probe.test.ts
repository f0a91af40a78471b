import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProbeRequest, parseProbeOutput } from '../../../../src/remote/host/host-probe';
import { BOOTSTRAP_COMMAND } from '../../../../src/remote/command/bootstrap';

/** Runs the probe's exec request as a login shell would, here (stdin: the program); returns its stderr. */
function runProbe(request: { command: string; stdin: Buffer } | string, env: Record<string, string> = {}): Promise<string> {
  const { command, stdin } = typeof request === 'string' ? { command: request, stdin: Buffer.alloc(0) } : request;
  return new Promise((resolve, reject) => {
    const child = execFile('/bin/sh', ['-c', command], { env: { ...process.env, ...env } }, (error, _stdout, stderr) =>
      error ? reject(error) : resolve(stderr),
    );
    child.stdin!.end(stdin);
  });
}

// Each probe starts `node --version` (and the cached files): seconds on a loaded 2-core machine.
jest.setTimeout(30_000);

describe('host probe', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tea-probe-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports this machine: uname, node, free space and writability of the nearest existing directory', async () => {
    const facts = parseProbeOutput(await runProbe(buildProbeRequest({ workdir: join(dir, 'not', 'yet'), cached: [], env: [] })));
    expect(facts.os).toBe('Linux');
    expect(facts.machine).toBe(process.arch === 'x64' ? 'x86_64' : 'aarch64');
    expect(facts.node).toMatchObject({ version: process.version, major: Number(process.versions.node.split('.')[0]) });
    expect(facts.dir).toBe(dir);
    expect(facts.freeBytes).toBeGreaterThan(0);
    expect([facts.writable, facts.executable]).toEqual([true, true]);
    expect(facts.cached.size).toBe(0);
  });

  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  it('hashes the cached files that exist and runs `--version` only of those with the expected sha256, leaving nothing behind', async () => {
    const cache = join(dir, '.cache');
    mkdirSync(cache, { mode: 0o700 });
    const good = '#!/bin/sh\necho 0.1.0\n';
    const broken = '#!/bin/sh\necho "cannot run" >&2; exit 126\n';
    const planted = `#!/bin/sh\ntouch ${join(dir, 'PLANTED-RAN')}\necho 0.1.0\n`;
    for (const [name, text] of [['good', good], ['broken', broken], ['planted', planted]] as const) {
      writeFileSync(join(cache, name), text);
      chmodSync(join(cache, name), 0o700);
    }
    const cached = [
      { path: join(cache, 'missing'), sha256: sha('x') },
      { path: join(cache, 'good'), sha256: sha(good) },
      { path: join(cache, 'broken'), sha256: sha(broken) },
      { path: join(cache, 'planted'), sha256: sha(good) }, // the name of ours, other content
    ];
    const facts = parseProbeOutput(await runProbe(buildProbeRequest({ workdir: dir, cached, env: [] })));
    expect(facts.untrusted).toEqual([]);
    expect(facts.cached.has(0)).toBe(false);
    expect(facts.cached.get(1)).toEqual({ size: good.length, sha256: sha(good), rc: 0, version: '0.1.0' });
    expect(facts.cached.get(2)).toEqual({ size: broken.length, sha256: sha(broken), rc: 126, version: 'cannot run' });
    expect(facts.cached.get(3)).toEqual({ size: planted.length, sha256: sha(planted) });
    expect(existsSync(join(dir, 'PLANTED-RAN'))).toBe(false);
    expect(facts.dir).toBe(dir);
    const left = await runProbe(`ls -A ${dir} >&2`);
    expect(left.trim()).toBe('.cache');
  });

  it('refuses a workdir, .cache or component that is a symlink or writable by others: reports it, writes and runs nothing', async () => {
    const cache = join(dir, 'w', '.cache');
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    const ours = '#!/bin/sh\necho 0.1.0\n';
    writeFileSync(join(cache, 'tea'), `#!/bin/sh\ntouch ${join(dir, 'RAN')}\n`, { mode: 0o700 });
    chmodSync(join(dir, 'w'), 0o777);
    const probe = async (workdir: string) =>
      parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [{ path: join(workdir, '.cache', 'tea'), sha256: sha(ours) }], env: [] })));
    const open = await probe(join(dir, 'w'));
    expect(open.untrusted).toEqual([expect.objectContaining({ role: 'workdir', mode: 'drwxrwxrwx', path: join(dir, 'w') })]);
    expect([open.writable, open.cached.size]).toEqual([false, 0]);

    chmodSync(join(dir, 'w'), 0o700);
    symlinkSync(join(dir, 'w'), join(dir, 'link'));
    const linked = await probe(join(dir, 'link'));
    expect(linked.untrusted).toEqual([expect.objectContaining({ role: 'workdir', path: join(dir, 'link') })]);
    expect(linked.untrusted[0]!.mode).toMatch(/^l/);
    rmSync(cache, { recursive: true });
    symlinkSync(join(dir), cache);
    const cacheLinked = await probe(join(dir, 'w'));
    expect(cacheLinked.untrusted).toEqual([expect.objectContaining({ role: 'cache', path: cache })]);
    expect(existsSync(join(dir, 'RAN'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.tea-probe'))).toEqual([]);
  });

  // Issue 21: a run's staging rides on the probe's exec instead of one SFTP round trip per directory.
  it('stages in the same exec when the workdir exists: makes .cache and the run directory 0700 and writes the workflow from stdin', async () => {
    const workdir = join(dir, 'a', 'b');
    const workflow = "name: it's\nnodes: []\n";
    const marker = 'tea-run-marker=1\ndead_after=900\n';
    const stage = { runDirName: 'run-r1-h0', workflow, marker };
    // A first run's workdir is made by the staging, after the client judged the host: the probe makes nothing.
    const first = parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [], env: [], stage })));
    expect([first.root, first.made, existsSync(join(dir, 'a'))]).toEqual([null, [], false]);
    mkdirSync(workdir, { recursive: true, mode: 0o700 });
    const facts = parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [], env: [], stage })));
    expect(facts.untrusted).toEqual([]);
    expect(facts.root).toBe(workdir);
    expect(facts.made).toEqual([join(workdir, '.cache'), join(workdir, 'run-r1-h0')]);
    for (const d of ['a/b/.cache', 'a/b/run-r1-h0']) expect((statSync(join(dir, d)).mode & 0o777).toString(8)).toBe('700');
    expect(readFileSync(join(workdir, 'run-r1-h0', 'workflow.yaml'), 'utf8')).toBe(workflow);
    expect((statSync(join(workdir, 'run-r1-h0', 'workflow.yaml')).mode & 0o777).toString(8)).toBe('600');
    // The run marker (run-marker.ts) beside it, owner-only.
    expect(readFileSync(join(workdir, 'run-r1-h0', '.tea-run'), 'utf8')).toBe(marker);
    expect((statSync(join(workdir, 'run-r1-h0', '.tea-run')).mode & 0o777).toString(8)).toBe('600');
    // Again (a retried preflight): what is there is checked and kept.
    const again = parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [], env: [], stage })));
    expect([again.root, again.made, again.untrusted]).toEqual([workdir, [], []]);
  });

  it('stages nothing when a component fails the trust rule, nor without a run directory name', async () => {
    const workdir = join(dir, 'open', 'w');
    mkdirSync(workdir, { recursive: true, mode: 0o700 });
    chmodSync(join(dir, 'open'), 0o777);
    const facts = parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [], env: [], stage: { runDirName: 'run-r1', workflow: 'x', marker: '' } })));
    expect(facts.untrusted).toEqual([expect.objectContaining({ role: 'anc', path: join(dir, 'open') })]);
    expect([facts.root, facts.made, readdirSync(workdir)]).toEqual([null, [], []]);
    chmodSync(join(dir, 'open'), 0o700);
    const plain = parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [], env: [] })));
    expect([plain.root, plain.made, readdirSync(workdir)]).toEqual([null, [], []]);
    // A run directory that someone else made (or made writable) is refused, and nothing is written into it.
    mkdirSync(join(workdir, 'run-r2'), { recursive: true, mode: 0o700 });
    chmodSync(join(workdir, 'run-r2'), 0o777);
    const shared = parseProbeOutput(await runProbe(buildProbeRequest({ workdir, cached: [], env: [], stage: { runDirName: 'run-r2', workflow: 'x', marker: '' } })));
    expect(shared.untrusted).toEqual([expect.objectContaining({ role: 'run', path: join(workdir, 'run-r2') })]);
    expect([shared.root, existsSync(join(workdir, 'run-r2', 'workflow.yaml'))]).toEqual([null, false]);
    expect(() => buildProbeRequest({ workdir, cached: [], env: [], stage: { runDirName: '../x', workflow: '', marker: '' } })).toThrow('not a run directory name');
  });

  it('lists the V8 code caches beside a verified cached basefile', async () => {
    const cache = join(dir, '.cache');
    mkdirSync(cache, { mode: 0o700 });
    const good = '#!/bin/sh\necho 0.1.0\n';
    writeFileSync(join(cache, 'tea-x'), good, { mode: 0o700 });
    writeFileSync(join(cache, 'tea-x.abc-v20.0.0-x64.v8cache'), 'cache');
    const facts = parseProbeOutput(await runProbe(buildProbeRequest({ workdir: dir, cached: [{ path: join(cache, 'tea-x'), sha256: sha(good) }], env: [] })));
    expect(facts.cached.get(0)).toMatchObject({ rc: 0, codeCaches: ['.abc-v20.0.0-x64.v8cache'] });
  });

  it('tells which env var names arrived, printing names only', async () => {
    const stderr = await runProbe(buildProbeRequest({ workdir: dir, cached: [], env: ['TEA_PROBE_SET', 'TEA_PROBE_UNSET'] }), { TEA_PROBE_SET: 'secret-value' });
    expect(stderr).not.toContain('secret-value');
    const facts = parseProbeOutput(stderr);
    expect([facts.envSet, facts.envUnset]).toEqual([['TEA_PROBE_SET'], ['TEA_PROBE_UNSET']]);
  });

  it('sends every argument on stdin, quoted for sh, and refuses names that are not env var names', () => {
    const request = buildProbeRequest({ workdir: "/tmp/it's here", cached: [{ path: '-x', sha256: 'a'.repeat(64) }], env: [] });
    expect(request.command).toBe(BOOTSTRAP_COMMAND);
    const line = request.stdin.toString('utf8');
    expect(line).toContain("'/tmp/it'\\''s here'");
    expect(line).toContain(' ./-x');
    expect(() => buildProbeRequest({ workdir: '/tmp', cached: [], env: ['A; rm -rf /'] })).toThrow('not an environment variable name');
  });

  it('parses around whatever rc files print, and fails loudly without its markers', () => {
    const noisy = 'welcome!\n@@tea-probe-begin\nuid=1000\ntrust=yes\nuname=Linux aarch64\nfree_kib=12\nwritable=yes\nexecutable=no\n@@tea-probe-end\n';
    expect(parseProbeOutput(noisy)).toMatchObject({ os: 'Linux', machine: 'aarch64', node: null, freeBytes: 12 * 1024, writable: true, executable: false });
    expect(() => parseProbeOutput('fish: Unknown command\n')).toThrow('the host did not run the probe script: fish: Unknown command');
  });
});
