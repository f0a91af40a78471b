/**
 * Remote disk full: the workdir is a 1 MiB tmpfs (mounting needs root, as in CI;
 * the docker backend has the same on /srv/tea-small). Staging must fail with a
 * clear, classified error and leave no partial upload behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { expectOneResultEach, faultConfig, flows, runFault } from './helpers';

jest.setTimeout(120_000);

let fx: LocalHostsFixture;
let small: string;
beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('the disk-full test mounts a tmpfs and needs root (CI runs as root); or run the e2e suite on the docker hosts');
  }
  small = mkdtempSync('/tmp/tea-small-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=1777', 'tmpfs', small]);
  fx = await startLocalHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
  if (small) {
    execFileSync('umount', [small]);
    rmdirSync(small);
  }
});

it('a basefile larger than the free space: the preflight refuses the host saying so, nothing uploaded', async () => {
  const workdir = join(small, 'jobs-a');
  const input = flows(3);
  const { results } = await runFault(input, faultConfig(fx, { workdir, basefile: 'dist/tea' }, { retry: { max_retries: 1, base_delay: 0.01 } }));
  expectOneResultEach(results, input);
  for (const r of results) {
    expect(r.error_type).toBe('E_NO_HEALTHY_HOST');
    expect(r.error).toMatch(/free in .*, need [0-9.]+ MiB \([0-9.]+ MiB to upload \+ 64 KiB margin\)/);
  }
  expect(existsSync(workdir)).toBe(false);
});

it('an input state larger than the free space: E_STAGING_FAILED for that flow only', async () => {
  const workdir = join(small, 'jobs-b');
  const input = [...flows(2), { entryPoint: 'big', exitPoint: 'join', state: { blob: 'x'.repeat(2 * 1024 * 1024) } }];
  // One flow at a time: while the big input fills the disk, a concurrent flow's result.json
  // would not fit either (seen under load), and this test is about the big flow alone.
  const { results } = await runFault(input, faultConfig(fx, { workdir, max_channels_per_host: 1 }, { retry: { max_retries: 0 } }));
  expectOneResultEach(results, input);
  expect(results.map((r) => r.success)).toEqual([true, true, false]);
  expect(results[2]!.error_type).toBe('E_STAGING_FAILED');
  expect(results[2]!.error).toMatch(/cannot write its input/);
  expect(readdirSync(workdir).filter((e) => e !== '.cache')).toEqual([]);
});
