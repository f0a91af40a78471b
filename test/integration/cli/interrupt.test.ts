import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(60_000);
const { tea, dir } = installTea();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Ctrl-C', () => {
  it('aborts the run, ends process branches, writes no output, and exits 130', async () => {
    const pids = path.join(dir, 'pids');
    const wf = writeIn(
      dir,
      'slow.yaml',
      `
settings: { parallel: { strategy: process } }
nodes:
  - { name: s }
  - name: slow
    run: |
      require('fs').appendFileSync(${JSON.stringify(pids)}, process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 60000));
  - { name: j }
edges:
  - { from: s, to: slow, type: parallel, fan_in: j }
  - { from: slow, to: j }
`,
    );
    const out = path.join(dir, 'slow-out.json');
    const started = Date.now();
    const run = await runTea(tea, ['run', wf, '--output', out], {
      started: (pid) => {
        const poll = setInterval(() => {
          if (existsSync(pids)) {
            clearInterval(poll);
            process.kill(pid, 'SIGINT');
          }
        }, 50);
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/^Error: .*interrupted by SIGINT/m);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(out)).toBe(false);
    const branchPid = Number(readFileSync(pids, 'utf8').trim());
    expect(alive(branchPid)).toBe(false);
  });
});
