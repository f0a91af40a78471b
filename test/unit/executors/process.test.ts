import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { ignoreEvents } from '../../../src/events';
import type { ExecutorContext } from '../../../src/executors/context';
import { createProcessExecutor } from '../../../src/executors/process';
import type { Flow } from '../../../src/executors/types';
import { silentLogger } from '../../../src/log';

const FAKE_TEA = path.join(__dirname, 'fixtures', 'fake-tea.js');
const WORKFLOW = 'nodes:\n  - name: a\n';
const context = (extra: Partial<ExecutorContext> = {}): ExecutorContext => ({ workflowText: WORKFLOW, logger: silentLogger, events: ignoreEvents, ...extra });
const config = (extra: Record<string, unknown> = {}) => parseParallelConfig({ retry: { max_retries: 0 }, ...extra });
const flow = (mode: string, extra: Record<string, unknown> = {}): Flow => ({ entryPoint: `b_${mode}`, exitPoint: 'join', state: { mode, ...extra } });

const branchDirs = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('tea-branch-'));
/** Branch dirs are removed off the result's path: wait (bounded) until none of this file's is left. */
async function expectNoBranchDirsLeft(): Promise<void> {
  for (let i = 0; i < 100 && branchDirs().length > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
  expect(branchDirs()).toEqual([]);
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('process executor', () => {
  // A temp dir of this file's own: other suites running at the same time create and remove
  // tea-branch-* dirs too, and the counts below must see only this file's branches.
  const sharedTmp = process.env.TMPDIR;
  let ownTmp = '';
  beforeAll(() => {
    ownTmp = mkdtempSync(path.join(os.tmpdir(), 'tea-process-test-'));
    process.env.TMPDIR = ownTmp;
  });
  afterAll(() => {
    if (sharedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = sharedTmp;
    rmSync(ownTmp, { recursive: true, force: true });
  });

  it('runs each branch as `run <workflow> --entry-point --exit-point --input --output` and reads its state', async () => {
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA });
    const [result] = await executor.execute([flow('ok', { text: 'héllo ✓' })], config());
    expect(result).toMatchObject({ branch: 'b_ok', success: true });
    const state = result!.state as { argv: string[]; workflowText: string; text: string; pid: number };
    expect(state.text).toBe('héllo ✓');
    expect(state.pid).not.toBe(process.pid);
    const [command, workflowFile, ...flags] = state.argv;
    expect(command).toBe('run');
    expect(flags).toEqual(['--entry-point', 'b_ok', '--exit-point', 'join', '--input', expect.stringMatching(/in\.json$/), '--output', expect.stringMatching(/out\.json$/)]);
    // Not loaded from a file: the text was written to a temp file, removed on close.
    expect(state.workflowText).toBe(WORKFLOW);
    expect(existsSync(workflowFile!)).toBe(true);
    await executor.close!();
    expect(existsSync(workflowFile!)).toBe(false);
    await expectNoBranchDirsLeft();
  });

  it('passes the original workflow file when there is one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tea-wf-test-'));
    const file = path.join(dir, 'wf.yaml');
    writeFileSync(file, WORKFLOW);
    const executor = createProcessExecutor(context({ workflowPath: file }), { cliPath: FAKE_TEA });
    const [result] = await executor.execute([flow('ok')], config());
    expect((result!.state as { argv: string[] }).argv[1]).toBe(file);
    await executor.close!();
    expect(existsSync(file)).toBe(true);
  });

  it('runs branches concurrently, results in input order', async () => {
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA });
    const results = await executor.execute(['x', 'y', 'z'].map((tag) => ({ ...flow('ok'), entryPoint: tag })), config({ max_workers: 3 }));
    expect(results.map((r) => [r.branch, r.success])).toEqual([['x', true], ['y', true], ['z', true]]);
    await executor.close!();
  });

  it('turns a failed child into a failed result with its error line, exit code and stderr tail', async () => {
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA });
    const [fail, usage] = await executor.execute([flow('fail'), flow('usage')], config());
    expect(fail).toMatchObject({
      success: false,
      state: null,
      error: 'node "x" failed: boom (tea run exited with code 1)',
      error_type: 'E_NODE_FAILED',
      exit_code: 1,
      stderr_tail: 'some noise\nError: node "x" failed: boom\n',
    });
    expect(usage).toMatchObject({ success: false, error_type: 'E_BRANCH_REJECTED', exit_code: 2, retry_count: 0 });
    await executor.close!();
  });

  it('a state that is not JSON is one E_STATE_INVALID naming the path, never retried, no child started', async () => {
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA });
    const [r] = await executor.execute([{ ...flow('ok'), state: { nested: { big: 10n } } }], config({ retry: { max_retries: 5, base_delay: 0.001 } }));
    expect(r).toMatchObject({ success: false, error_type: 'E_STATE_INVALID', retry_count: 0 });
    expect(r!.error).toBe('branch "b_ok": its state is not JSON at state.nested.big (a BigInt)');
    expect(r!.attempts).toEqual([]); // no attempt ran
    await executor.close!();
  });

  it('reports missing and malformed output', async () => {
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA });
    const results = await executor.execute([flow('no-output'), flow('bad-output'), flow('array-output')], config());
    expect(results.map((r) => r.error_type)).toEqual(['E_RESULT_MISSING', 'E_RESULT_INVALID', 'E_RESULT_INVALID']);
    expect(results[0]!.error).toBe('branch "b_no-output": tea run exited 0 but wrote no output');
    await executor.close!();
  });

  it('ends the whole process group when an attempt times out, escalating to SIGKILL', async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'tea-pids-')), 'pids.json');
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA, killGraceMs: 200 });
    const [result] = await executor.execute([flow('hang', { pidFile })], config({ timeout_seconds: 3, retry: { max_retries: 0 } }));
    expect(result).toMatchObject({ success: false, timeout: true, error_type: 'E_TIMEOUT' });
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    // KILL was sent to the group; under load the processes may take a moment to die.
    for (let i = 0; i < 100 && (alive(pids.child) || alive(pids.grandchild)); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pids.child)).toBe(false);
    expect(alive(pids.grandchild)).toBe(false);
    await expectNoBranchDirsLeft();
    await executor.close!();
  });

  it('ends children when the run is cancelled', async () => {
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'tea-pids-')), 'pids.json');
    const executor = createProcessExecutor(context(), { cliPath: FAKE_TEA, killGraceMs: 100 });
    const controller = new AbortController();
    const running = executor.execute([flow('hang', { pidFile })], config(), controller.signal);
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const [result] = await running;
    expect(result).toMatchObject({ success: false, error_type: 'E_CANCELLED' });
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(pids.child) || alive(pids.grandchild)).toBe(false);
    await executor.close!();
  });

  it('fails every branch at once, without retrying, when the CLI does not exist', async () => {
    const executor = createProcessExecutor(context(), { cliPath: '/nonexistent/tea' });
    const results = await executor.execute([flow('ok'), flow('ok')], config({ retry: { max_retries: 3 } }));
    expect(results.every((r) => !r.success && r.error_type === 'E_NO_HEALTHY_HOST')).toBe(true);
    expect(results[0]!.error).toMatch(/tea CLI not found at \/nonexistent\/tea/);
    await executor.close!();
  });

  it('validates its options', () => {
    expect(() => createProcessExecutor(context(), { killGraceMs: -1 })).toThrow(/^process executor options\.killGraceMs: /);
  });
});
