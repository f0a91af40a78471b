import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { getHosts, type HostsFixture } from '../../harness/hosts';

jest.setTimeout(120_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

const remoteTeas = async (workdir: string) =>
  (await fx.exec(0, `pgrep -af '[t]ea-[0-9a-f]* run ${workdir}' || true`)).stdout.split('\n').filter(Boolean);

it('Ctrl-C during a remote fan-out ends the remote branches, cleans up and exits 130', async () => {
  const remote = fx.remoteConfig();
  const workflow = {
    name: 'interrupt-remote',
    settings: { parallel: { strategy: 'remote', remote } },
    nodes: [
      { name: 'start', run: 'return {};' },
      { name: 'sleepy', run: 'await new Promise((r) => setTimeout(r, 120000)); return { slept: true };' },
      { name: 'dozy', run: 'await new Promise((r) => setTimeout(r, 120000)); return { slept: true };' },
      { name: 'join', run: 'return { n: parallel_results.length };' },
    ],
    edges: [
      { from: '__start__', to: 'start' },
      { from: 'start', to: ['sleepy', 'dozy'], type: 'parallel', fan_in: 'join' },
      { from: 'sleepy', to: 'join' },
      { from: 'dozy', to: 'join' },
      { from: 'join', to: '__end__' },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'tea-int-'));
  const file = join(dir, 'wf.yaml');
  writeFileSync(file, YAML.stringify(workflow));
  const child = spawn(process.execPath, [resolve(__dirname, '../../../dist/tea'), 'run', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const workdir = remote.workdir as string;
  const deadline = Date.now() + 60_000;
  while ((await remoteTeas(workdir)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect([(await remoteTeas(workdir)).length >= 2, stderr]).toEqual([true, stderr]);

  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/cancel|interrupt/i);
  // The remote branches are ended with their channels; the run directory is removed.
  const gone = Date.now() + 20_000;
  while ((await remoteTeas(workdir)).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 200));
  expect(await remoteTeas(workdir)).toEqual([]);
  const { stdout } = await fx.exec(0, `ls -A ${workdir} 2>/dev/null || true`);
  expect(stdout.split('\n').filter((e) => e && e !== '.cache')).toEqual([]);
});
