/**
 * `npm run bench`: starts local OpenSSH hosts, measures tea-remote against the GNU
 * Parallel plan, plain OpenSSH and the raw ssh2 floor on them, prints a markdown
 * report and writes it (plus the raw figures as JSON) to bench/results/. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseBenchArgs, USAGE } from './lib/args';
import { ensureLoginUser } from './lib/bench-user';
import { BenchCluster, execOn } from './lib/cluster';
import { describeMachine, loadavg } from './lib/machine';
import { killRunning } from './lib/spawn';
import { median } from './lib/stats';
import { judgeTargets, markdown, summary, type LoginInfo, type Results } from './report';
import { dispatchRow, fanoutRow } from './rows/fanout';
import type { RowContext } from './rows/measure';
import { scaleRows } from './rows/scale';
import { sftpChoiceRow } from './rows/sftp-choice';
import { uploadRow } from './rows/upload';
import { transferRow } from './rows/transfer';
import { rttRow } from './rows/rtt';
import { warmRow } from './rows/warm';

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** One exec's cost on these hosts (and the remote home, where the bench works). */
async function probeLogin(cluster: BenchCluster, shell: string): Promise<{ login: LoginInfo; home: string }> {
  const client = await cluster.connect(cluster.first(1)[0]!);
  try {
    const home = (await execOn(client, 'pwd')).stdout.trim();
    const times: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const t = process.hrtime.bigint();
      await execOn(client, 'true');
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return { login: { user: cluster.user, shell, exec_true_ms: Math.round(median(times) * 10) / 10 }, home };
  } finally {
    client.end();
  }
}

/** Keeps bench/README.md's "Latest figures" in step with the committed results. */
function updateReadme(path: string, text: string): void {
  const readme = readFileSync(path, 'utf8');
  const start = '<!-- latest-figures:start -->';
  const end = '<!-- latest-figures:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) {
    log(`${path}: no ${start} ... ${end} markers, not updated`);
    return;
  }
  writeFileSync(path, `${readme.slice(0, a + start.length)}\n${text}\n${readme.slice(b)}`);
  log(`updated the latest figures in ${path}`);
}

/**
 * `--render FILE`: rewrites the report (and the README summary) from a results JSON,
 * re-judging the targets: a change to the report's format needs no new measurements.
 */
function render(root: string, file = join(root, 'bench', 'results', 'latest.json')): number {
  const { targets: _old, ...partial } = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const results: Results = { ...partial, targets: judgeTargets(partial) };
  const dir = resolve(file, '..');
  writeFileSync(join(dir, 'latest.md'), markdown(results));
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (dir === join(root, 'bench', 'results')) updateReadme(join(root, 'bench', 'README.md'), summary(results));
  log(`rendered ${join(dir, 'latest.md')} from ${file}`);
  return 0;
}

async function main(): Promise<number> {
  const root = resolve(__dirname, '..', '..');
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  // Only a run of every row replaces the committed bench/results/; partial runs go to .tmp/bench/.
  const partialRun = argv.includes('--rows');
  if (argv[0] === '--render') return render(root, argv[1]);
  const opts = parseBenchArgs(argv, join(root, partialRun ? '.tmp/bench' : 'bench/results'));
  const env = { root, dist: __dirname, tea: join(root, 'dist', 'tea'), stub: join(root, 'bench', 'stub-tea.sh') };
  if (!existsSync(env.tea)) throw new Error(`${env.tea} not found: run npm run build (scripts/bench.sh does)`);
  const machine = describeMachine(root);
  const user = ensureLoginUser(opts.user);
  if (user.created) log(`created login user ${user.name} (shell /bin/sh, no rc files)`);
  log(`load average ${machine.load_start} on ${machine.nproc} CPUs`);

  const hostsNeeded = Math.max(
    opts.rows.includes('fanout') ? opts.hosts : 1,
    ...(opts.rows.includes('scale') ? opts.scale.map((s) => s.hosts) : [1]),
    opts.rows.includes('warm') ? Math.max(opts.hosts, opts.warmScale.hosts) : 1,
  );
  const scratch = mkdtempSync(join(tmpdir(), 'tea-bench-'));
  // The login user reads authorized_keys under here (sshd opens it as that user).
  chmodSync(scratch, 0o711);
  log(`starting ${hostsNeeded} local sshd host(s) in ${scratch}`);
  let remote = '';
  // On an interrupt (process.exit from the signal handler) finally{} below does not run.
  process.once('exit', () => {
    if (opts.keep) return;
    rmSync(scratch, { recursive: true, force: true });
    // The hosts are this machine: their directory can be removed directly.
    if (remote) rmSync(remote, { recursive: true, force: true });
  });
  const cluster = await BenchCluster.start(hostsNeeded, join(scratch, 'hosts'), user.name);
  try {
    const probe = await probeLogin(cluster, user.shell);
    remote = `${probe.home}/tea-bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    await cluster.exec(cluster.first(1)[0]!, `mkdir -m 700 ${remote}`);
    const ctx: RowContext = { env: { ...env, cluster }, opts, scratch, remote, log };
    const partial: Omit<Results, 'targets'> = {
      machine,
      command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      options: (({ out: _out, ...rest }) => rest)(opts),
      login: probe.login,
      hosts_started: hostsNeeded,
    };
    if (opts.rows.includes('fanout')) partial.fanout = await fanoutRow(ctx);
    if (opts.rows.includes('dispatch')) partial.dispatch = await dispatchRow(ctx);
    if (opts.rows.includes('upload')) partial.upload = await uploadRow(ctx);
    if (opts.rows.includes('scale') && opts.scale.length) partial.scale = await scaleRows(ctx);
    if (opts.rows.includes('sftp-choice')) partial.sftp_choice = await sftpChoiceRow(ctx);
    if (opts.rows.includes('transfer')) partial.transfer = await transferRow(ctx);
    if (opts.rows.includes('rtt')) partial.rtt = await rttRow(ctx);
    if (opts.rows.includes('warm')) partial.warm = await warmRow(ctx);
    machine.load_end = loadavg();
    const results: Results = { ...partial, targets: judgeTargets(partial) };
    const report = markdown(results);
    mkdirSync(opts.out, { recursive: true });
    writeFileSync(join(opts.out, 'latest.md'), report);
    writeFileSync(join(opts.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(report);
    log(`wrote ${join(opts.out, 'latest.md')} and latest.json`);
    if (resolve(opts.out) === join(root, 'bench', 'results')) updateReadme(join(root, 'bench', 'README.md'), summary(results));
    // Benchmarks report targets, they do not fail on them; a lost flow is a bug.
    const lostFlows = results.targets.find((t) => t.target.startsWith('zero lost flows'));
    return lostFlows?.met === false ? 1 : 0;
  } finally {
    if (remote) await cluster.exec(cluster.first(1)[0]!, `rm -rf ${remote}`).catch(() => {});
    await cluster.stop();
    if (opts.keep) log(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

// Measured commands run in their own sessions, out of reach of the terminal's Ctrl-C:
// end them here; exiting then stops the hosts (the harness's exit hook).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    killRunning();
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  },
);
