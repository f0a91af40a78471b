import { createHash, randomBytes } from 'node:crypto';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { flow, runFlows } from './helpers';

jest.setTimeout(180_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

/**
 * `check` waits at a gate (so the test can look at the host's processes while it runs),
 * then reports only booleans and file modes: the secret itself never enters the state.
 * `fail` fails, so an error message and a stderr tail exist to be searched too.
 */
const WORKFLOW = `
name: env-secrets
nodes:
  - name: start
  - name: check
    run: |
      const fs = require('fs');
      const { createHash } = require('crypto');
      fs.writeFileSync(state.ready, '');
      for (let i = 0; i < 2400 && !fs.existsSync(state.gate); i += 1) await new Promise((r) => setTimeout(r, 50));
      const value = process.env[state.secret_name];
      const mode = (p) => (fs.statSync(p).mode & 0o777).toString(8);
      return {
        secret_ok: value !== undefined && createHash('sha256').update(value).digest('hex') === state.sha,
        other_seen: process.env[state.other_name] !== undefined,
        env_file_left: fs.existsSync('tea-env'),
        modes: { flow_dir: mode('.'), input: mode('input.json'), run_dir: mode('..'), workflow: mode('../workflow.yaml'), workdir: mode('../..') },
      };
  - name: fail
    run: |
      throw new Error('failing on purpose; the secret was ' + (process.env[state.secret_name] === undefined ? 'absent' : 'present'));
  - name: join
edges:
  - { from: start, to: [check, fail], type: parallel, fan_in: join }
  - { from: check, to: join }
  - { from: fail, to: join }
`;

/** Every process's full command line on the host (what `ps` shows), one per line. */
const commandLines = async () => (await fx.exec(0, 'for f in /proc/[0-9]*/cmdline; do tr "\\0" " " < "$f" 2>/dev/null; echo; done')).stdout;

async function plantedRun(mode: 'ssh_env' | 'stdin' | 'export_file') {
  // The secret's unique token is what is searched for; names and paths use another random id.
  const token = randomBytes(12).toString('hex');
  const id = randomBytes(4).toString('hex').toUpperCase();
  const canary = `/tmp/tea-pwned-${id}`;
  // Shell-special characters around the token: were it ever parsed by a shell, the canary would appear.
  const secret = `s3cret ${token} 'q' "dq" $(touch ${canary}) \`touch ${canary}\`;\nline2`;
  const secretName = `TEA_SECRET_${id}`;
  const otherName = `OTHER_SECRET_${id}`; // not in the fixture's AcceptEnv TEA_*
  const base = `/tmp/tea-gate-${id}`;
  const workdir = `${fx.remoteConfig().workdir as string}-${mode}`;
  process.env[secretName] = secret;
  process.env[otherName] = `other ${token}`;
  const state = { secret_name: secretName, other_name: otherName, sha: createHash('sha256').update(secret).digest('hex'), ready: `${base}.ready`, gate: `${base}.gate` };
  const logStart = fx.readLog(0).length;
  try {
    const running = runFlows(
      fx,
      [flow('check', state), flow('fail', state)],
      { workdir, cleanup: false, env_vars: { include: [secretName, otherName, 'TEA_NOT_SET_ANYWHERE'], mode } },
      WORKFLOW,
    );
    // While `check` runs on the host: look at every command line there.
    for (let i = 0; (await fx.exec(0, `test -e ${base}.ready`)).code !== 0; i += 1) {
      if (i > 1200) throw new Error('the branch never reached its gate');
      await new Promise((r) => setTimeout(r, 50));
    }
    const during = await commandLines();
    // Not at rest either while tea runs: in no file under the workdir (where the export file used to be).
    const filesDuring = (await fx.exec(0, `grep -rlF ${token} ${workdir} 2>/dev/null; echo end`)).stdout;
    await fx.exec(0, `touch ${base}.gate`);
    const outcome = await running;
    const left = await fx.exec(0, `grep -rlF ${token} ${workdir} ${canary} 2>&1; cd ${workdir}/run-*/1-0-a1 && stat -c '%a %n' * .[!.]* 2>/dev/null`);
    return { ...outcome, token, canary, secret, secretName, otherName, during, filesDuring, left: left.stdout, sshdLog: fx.readLog(0).slice(logStart), workdir };
  } finally {
    delete process.env[secretName];
    delete process.env[otherName];
    await fx.exec(0, `rm -rf ${base}.ready ${base}.gate ${workdir}`);
  }
}

function expectNoLeak(run: Awaited<ReturnType<typeof plantedRun>>) {
  // The capture really saw the remote run (so "not in it" means something)...
  expect(run.during).toContain('--entry-point=check');
  // ...and the token is on no command line, in no sshd log line, no log, event, result or error, no file left behind.
  expect(run.during).not.toContain(run.token);
  expect(run.filesDuring).toBe('end\n');
  expect(run.sshdLog).toContain('Accepted publickey');
  expect(run.sshdLog).not.toContain(run.token);
  expect(JSON.stringify([run.logs, run.events, run.results, run.thrown?.message ?? null])).not.toContain(run.token);
  // Cleanup is off: the flow's files are still there to search, owner-only, and the env file is not among them.
  expect(run.left).toContain('600 input.json\n600 result.json\n');
  expect(run.left).not.toContain('tea-env');
  expect(run.left).not.toContain(run.token);
  expect(run.left).toContain(`${run.canary}: No such file`);
  // The failure is reported, without the secret.
  expect(run.results[1]).toMatchObject({ success: false, error_type: 'E_REMOTE_EXIT' });
  expect(run.results[1]!.error).toContain('the secret was present');
  expect(run.results[1]!.stderr_tail).toContain('failing on purpose');
  // Names, not values, are logged; an included name missing here is said once.
  expect(run.logs).toContainEqual(`warn: env_vars.include: not set in this environment, not transferred: TEA_NOT_SET_ANYWHERE`);
}

describe('env_vars against real sshd, and a planted secret that must leak nowhere', () => {
  it('ssh_env: sends names sshd accepts (AcceptEnv TEA_*), warns about the ones it dropped', async () => {
    const run = await plantedRun('ssh_env');
    expect(run.results[0]).toMatchObject({ success: true, state: { secret_ok: true, other_seen: false, env_file_left: false } });
    expect(run.logs).toContainEqual(expect.stringMatching(new RegExp(`^warn: \\S+: sshd did not accept the environment variable\\(s\\) ${run.otherName} \\(env_vars.mode ssh_env\\): list them in AcceptEnv`)));
    expect(run.logs).toContainEqual(`info: remote: transferring 2 environment variable(s) by ssh_env: ${run.secretName}, ${run.otherName}`);
    expectNoLeak(run);
  });

  it.each(['stdin', 'export_file'] as const)('%s: every name arrives on the exec channel\'s stdin, never in a file; dirs 0700, files 0600', async (mode) => {
    const run = await plantedRun(mode);
    expect(run.results[0]).toMatchObject({
      success: true,
      state: { secret_ok: true, other_seen: true, env_file_left: false, modes: { flow_dir: '700', input: '600', run_dir: '700', workflow: '600', workdir: '700' } },
    });
    expect(run.logs.filter((l) => l.includes('did not accept'))).toEqual([]);
    expect(run.logs).toContainEqual(`info: remote: transferring 2 environment variable(s) by stdin: ${run.secretName}, ${run.otherName}`);
    expectNoLeak(run);
  });
});
