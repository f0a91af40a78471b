import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { capture, flow } from './helpers';

// The JS artifact's V8 code cache goes up with the basefile when the host runs the same
// Node (src/remote/host/code-cache-ship.ts), and the branches take it as it is.

jest.setTimeout(120_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** A copy of dist/tea in its own directory, with the code cache its first local run wrote. */
function basefileWithCache(): { tea: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tea-ship-it-'));
  const tea = join(dir, 'tea');
  copyFileSync(join(__dirname, '..', '..', '..', 'dist', 'tea'), tea);
  writeFileSync(join(dir, 'wf.yaml'), 'nodes:\n  - { name: a, run: "return { ok: true }" }\n');
  execFileSync(process.execPath, [tea, 'run', join(dir, 'wf.yaml'), '--output', join(dir, 'out.json')], { env: { ...process.env, TEA_CODE_CACHE: '1' } });
  const caches = readdirSync(dir).filter((f) => f.endsWith('.v8cache'));
  expect(caches).toHaveLength(1);
  return { tea, cache: join(dir, caches[0]!) };
}

async function runBranches(basefile: string, workdir: string) {
  const captured = capture();
  const executor = new RemoteExecutor(captured.context);
  const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ basefile, workdir, hosts: [fx.hosts[0]!.sshlogin] }) });
  try {
    const results = await executor.execute(Array.from({ length: 4 }, (_, i) => flow('work', { n: i })), config);
    expect(results.map((r) => r.success)).toEqual([true, true, true, true]);
  } finally {
    await executor.close();
  }
}

/** `name sha256` of each code cache in the host's basefile cache. */
async function remoteCaches(workdir: string): Promise<string[]> {
  const { stdout } = await fx.exec(0, `cd ${workdir}/.cache && for f in tea-*.v8cache; do [ -e "$f" ] && printf '%s %s\\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)"; done; true`);
  return stdout.split('\n').filter(Boolean);
}

describe('the code cache staged with the JS artifact', () => {
  it('is put beside the basefile on a host with the same Node, and the branches take it unchanged', async () => {
    const { tea, cache } = basefileWithCache();
    const workdir = `${fx.remoteConfig().workdir as string}-ship`;
    try {
      await runBranches(tea, workdir);
      const suffix = cache.slice(tea.length);
      const [line, ...more] = await remoteCaches(workdir);
      expect(more).toEqual([]);
      // Taken as it is: a cache V8 refused would have been rewritten by the first branch.
      expect(line).toMatch(new RegExp(`^tea-[0-9a-f]{16}${suffix.replace(/\./g, '\\.')} ${sha(readFileSync(cache))}$`));
    } finally {
      rmSync(workdir, { recursive: true, force: true }); // a workdir of this test's own: the fixture removes only its own
    }
  });

  it('is not shipped for another Node version: the host\'s first branch writes its own', async () => {
    const { tea, cache } = basefileWithCache();
    // As if this machine ran another Node: its cache does not fit the host's.
    renameSync(cache, cache.replace(`-${process.version}-`, '-v0.0.1-'));
    const workdir = `${fx.remoteConfig().workdir as string}-noship`;
    try {
      await runBranches(tea, workdir);
      const caches = await remoteCaches(workdir);
      expect(caches).toHaveLength(1);
      expect(caches[0]).toContain(`-${process.version}-`);
      expect(caches[0]).not.toContain(sha(readFileSync(cache.replace(`-${process.version}-`, '-v0.0.1-'))));
    } finally {
      rmSync(workdir, { recursive: true, force: true });
    }
  });
});
