import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWorkflow } from '../../../src/workflow/load';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { installTea, runTea, writeIn } from '../cli/tea';
import { SENTINEL, TRICKY, runRemote } from './helpers';

jest.setTimeout(600_000);

let fx: HostsFixture;
let tea: string;
let dir: string;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
  ({ tea, dir } = installTea());
});
afterAll(async () => {
  await fx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  rmSync(SENTINEL, { force: true });
});

const BRANCHES = [...TRICKY, 'fail'];
/** TRICKY_YAML's nodes (minus `slow`) with the fixture's hosts written into the workflow, as a user would. */
const workflowFor = (remote: Record<string, unknown>) => `
name: plan-cli
initial_state: { n: 100 }
settings:
  parallel:
    strategy: remote
    remote: ${JSON.stringify(remote)}
nodes:
  - name: start
${TRICKY.map((n) => `  - name: ${JSON.stringify(n)}\n    run: |\n      return { who: ${JSON.stringify(n)}, doubled: state.n * 2 };`).join('\n')}
  - name: fail
    run: |
      throw new Error('branch failed on purpose: ' + state.n);
  - name: join
edges:
  - { from: start, to: ${JSON.stringify(BRANCHES)}, type: parallel, fan_in: join }
${BRANCHES.map((n) => `  - { from: ${JSON.stringify(n)}, to: join }`).join('\n')}
`;

function sh(file: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [], { cwd }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('tea plan (built CLI) with the real GNU Parallel', () => {
  it('stages a plan whose run.sh leaves the same branch states the ssh2 path computes', async () => {
    const remote = fx.remoteConfig({ hosts: fx.hosts.map((h) => `2/${h.sshlogin}`) });
    const text = workflowFor(remote);
    const wf = writeIn(dir, 'plan.yaml', text);
    const staged = path.join(dir, 'staged');
    const plan = await runTea(tea, ['plan', wf, '--input', '{"n": 3}', '--dir', staged]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^# GNU Parallel \d{8} is installed here\.$/m);
    expect(plan.stdout).toContain(`# fan-out 1: "start" -> ${BRANCHES.length} remote branches -> fan-in "join"`);
    expect(plan.stdout).toContain('# every branch gets the --input state');
    expect(plan.stdout).toContain(`cd -- ${path.join(staged, 'fanout-1')} && PARALLEL_SHELL=/bin/sh parallel --null`);
    expect(statSync(path.join(staged, 'run.sh')).mode & 0o100).toBeTruthy();

    // Run it from elsewhere: the script finds its own directory.
    const run = await sh(path.join(staged, 'run.sh'), os.tmpdir());
    // GNU Parallel's exit status: the number of failed jobs (the branch that fails on purpose).
    expect(run.code).toBe(1);
    // ...and says which branch failed and why, instead of exiting 1 silently.
    const fanoutDir = path.join(staged, 'fanout-1');
    expect(run.stderr.split('\n').filter((l) => l.startsWith('tea plan: '))).toEqual([
      `tea plan: branch fail failed: node "fail" failed: branch failed on purpose: 3 (its output: ${fanoutDir}/flows/${BRANCHES.length - 1}/out.err)`,
      `tea plan: 1 of ${BRANCHES.length} branches failed; every job: ${fanoutDir}/joblog.tsv`,
    ]);

    const flows = BRANCHES.map((b) => ({ entryPoint: b, exitPoint: 'join', state: { n: 3 } }));
    const viaSsh2 = await runRemote(fx, flows, { hosts: remote.hosts }, {}, text);
    const fanout = path.join(staged, 'fanout-1');
    BRANCHES.forEach((branch, i) => {
      const file = path.join(fanout, 'flows', String(i), 'result.json');
      const expected = viaSsh2.results[i]!;
      expect([branch, existsSync(file)]).toEqual([branch, expected.success]);
      if (expected.success) expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(expected.state);
    });
    expect(JSON.parse(readFileSync(path.join(fanout, 'flows', '0', 'result.json'), 'utf8'))).toEqual({ n: 3, who: TRICKY[0], doubled: 6 });
    const joblog = readFileSync(path.join(fanout, 'joblog.tsv'), 'utf8').trim().split('\n');
    expect(joblog).toHaveLength(BRANCHES.length + 1);
    expect(readFileSync(path.join(fanout, 'flows', String(BRANCHES.length - 1), 'out.err'), 'utf8')).toContain('branch failed on purpose: 3');
    expect(existsSync(SENTINEL)).toBe(false);
    // run.sh's cleanup left nothing on the hosts.
    for (let i = 0; i < fx.hosts.length; i += 1) {
      const left = await fx.exec(i, `ls -A ${remote.workdir as string} 2>/dev/null`);
      expect(left.stdout.split('\n').filter((e) => e !== '' && e !== '.cache')).toEqual([]);
    }
  });

  it('prints the plan without --dir, using initial_state, and stages nothing', async () => {
    const wf = writeIn(dir, 'plan-print.yaml', workflowFor(fx.remoteConfig({ gnu_parallel: 'run' })));
    const out = await runTea(tea, ['plan', wf]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("# every branch gets the workflow's initial_state");
    expect(out.stdout).toContain('# run from a directory holding the files it reads (tea plan --dir writes them):');
    expect(out.stdout).toMatch(/^PARALLEL_SHELL=\/bin\/sh parallel --null .* :::: args\/flow-ids ::::\+ args\/entry-points ::::\+ args\/exit-points$/m);
    expect(out.stdout).toContain('# then, to remove what failed or timed-out jobs left on the hosts:');
    // Each branch name appears only JSON-escaped in a comment: none can break a line.
    expect(out.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !/^(PARALLEL_SHELL=|ssh )/.test(l))).toEqual([]);
  });

  it('refuses a --dir that is not empty, and says when there is nothing remote to plan', async () => {
    const wf = writeIn(dir, 'plan-2.yaml', workflowFor(fx.remoteConfig()));
    writeFileSync(path.join(dir, 'occupied'), 'x');
    const busy = await runTea(tea, ['plan', wf, '--dir', dir]);
    expect(busy).toMatchObject({ code: 2, stdout: '' });
    expect(busy.stderr).toMatch(/^Error: --dir .* is not empty: give a new or empty directory\n$/);

    const local = writeIn(dir, 'local.yaml', 'nodes:\n  - name: a\n');
    expect(loadWorkflow(readFileSync(local, 'utf8')).parallel.strategy).toBe('thread');
    const none = await runTea(tea, ['plan', local]);
    expect(none).toMatchObject({ code: 0, stdout: '# no fan-out with remote branches is reachable from the start: nothing for GNU Parallel to run\n' });
    const usage = await runTea(tea, ['plan']);
    expect(usage.code).toBe(2);
    expect((await runTea(tea, ['--help'])).stdout).toMatch(/^ {2}plan +print \(and with --dir, stage\) the GNU Parallel command/m);
  });
});
