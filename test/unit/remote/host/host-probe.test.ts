import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('runs `--version` of the cached files that exist, by index, and leaves nothing behind', async () => {
    const cache = join(dir, '.cache');
    mkdirSync(cache);
    const good = '#!/bin/sh\necho 0.1.0\n';
    const broken = '#!/bin/sh\necho "cannot run" >&2; exit 126\n';
    writeFileSync(join(cache, 'good'), good);
    writeFileSync(join(cache, 'broken'), broken);
    chmodSync(join(cache, 'good'), 0o700);
    chmodSync(join(cache, 'broken'), 0o700);
    const cached = [join(cache, 'missing'), join(cache, 'good'), join(cache, 'broken')];
    const facts = parseProbeOutput(await runProbe(buildProbeRequest({ workdir: dir, cached, env: [] })));
    expect(facts.cached.has(0)).toBe(false);
    expect(facts.cached.get(1)).toEqual({ size: good.length, rc: 0, version: '0.1.0' });
    expect(facts.cached.get(2)).toEqual({ size: broken.length, rc: 126, version: 'cannot run' });
    expect(facts.dir).toBe(dir);
    const left = await runProbe(`ls -A ${dir} >&2`);
    expect(left.trim()).toBe('.cache');
  });

  it('tells which env var names arrived, printing names only', async () => {
    const stderr = await runProbe(buildProbeRequest({ workdir: dir, cached: [], env: ['TEA_PROBE_SET', 'TEA_PROBE_UNSET'] }), { TEA_PROBE_SET: 'secret-value' });
    expect(stderr).not.toContain('secret-value');
    const facts = parseProbeOutput(stderr);
    expect([facts.envSet, facts.envUnset]).toEqual([['TEA_PROBE_SET'], ['TEA_PROBE_UNSET']]);
  });

  it('sends every argument on stdin, quoted for sh, and refuses names that are not env var names', () => {
    const request = buildProbeRequest({ workdir: "/tmp/it's here", cached: ['-x'], env: [] });
    expect(request.command).toBe(BOOTSTRAP_COMMAND);
    const line = request.stdin.toString('utf8');
    expect(line).toContain("'/tmp/it'\\''s here'");
    expect(line).toContain(' ./-x');
    expect(() => buildProbeRequest({ workdir: '/tmp', cached: [], env: ['A; rm -rf /'] })).toThrow('not an environment variable name');
  });

  it('parses around whatever rc files print, and fails loudly without its markers', () => {
    const noisy = 'welcome!\n@@tea-probe-begin\nuname=Linux aarch64\nfree_kib=12\nwritable=yes\nexecutable=no\n@@tea-probe-end\n';
    expect(parseProbeOutput(noisy)).toMatchObject({ os: 'Linux', machine: 'aarch64', node: null, freeBytes: 12 * 1024, writable: true, executable: false });
    expect(() => parseProbeOutput('fish: Unknown command\n')).toThrow('the host did not run the probe script: fish: Unknown command');
  });
});
