#!/usr/bin/env node
// The Windows client stage (docs/windows.md): the built client (dist/tea, dist/lib) run by
// Node for Windows under Wine against real OpenSSH hosts on loopback. Checks the remote
// fan-out, --dry-run, `tea hosts check`, `tea plan`, the error paths (auth failure,
// changed host key, unreachable host), Ctrl-C, `--version`/`--help`, then the
// Windows unit tests (test/windows/unit.cjs). Prints `N passed, N failed` last and
// exits 1 on any failure. Needs: wine64, OpenSSH's sshd, a build (npm run build).
//
//   node test/windows/stage.mjs [--keep] [--json-out FILE]
//     --keep: leave the stage's files in the Wine home (C:\users\<you>\tea-win-stage) for a look
//     --json-out: also write { numPassedTests, numFailedTests } (jest's names) for CI's summary
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wine } from './wine.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { LocalSshdCluster, freePort } = require(path.join(ROOT, 'test', 'harness', 'sshd-core.js'));
const CACHE = path.join(ROOT, '.tmp', 'windows');
const RUN = path.join(CACHE, 'run');
const TEA = Wine.winPath(path.join(ROOT, 'dist', 'tea'));
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok });
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === '' ? '' : `\n     ${detail.trim().replace(/\n/g, '\n     ').slice(0, 3000)}`}\n`);
}
const show = (r) => `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout.slice(-1500)}\n--- stderr\n${r.stderr.slice(-1500)}`;
const noStack = (r) => !/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr);
/** Windows editors save CRLF: every file the client reads is written so. */
const writeCrlf = (file, lines) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\r\n') + '\r\n');
};
const yamlQuote = (s) => `'${s.replace(/'/g, "''")}'`;

function workflowText({ name, hosts, extra = [], branchBody }) {
  return [
    `name: ${name}`,
    'initial_state:',
    '  words: [ssh, fan, out]',
    'settings:',
    '  parallel:',
    '    strategy: remote',
    '    timeout_seconds: 120',
    '    remote:',
    '      hosts:',
    ...hosts.map((h) => `        - ${h}`),
    ...extra.map((l) => `      ${l}`),
    'nodes:',
    '  - name: prepare',
    '    run: |',
    '      return { client_platform: process.platform };',
    ...['one', 'two', 'three'].flatMap((b) => [`  - name: ${b}`, '    run: |', `      ${branchBody(b)}`]),
    '  - name: combine',
    '    run: |',
    '      return { fanin_platform: process.platform, results: parallel_results.map((r) => ({ branch: r.branch, success: r.success, host: r.host, state: r.state })) };',
    'edges:',
    '  - { from: __start__, to: prepare }',
    '  - { from: prepare, to: [one, two, three], type: parallel, fan_in: combine }',
    '  - { from: one, to: combine }',
    '  - { from: two, to: combine }',
    '  - { from: three, to: combine }',
    '  - { from: combine, to: __end__ }',
  ];
}
const reportBranch = (b) => `return { branch: '${b}', platform: process.platform, letters: state.words.join('').length };`;

async function main() {
  const keep = process.argv.includes('--keep');
  if (!existsSync(path.join(ROOT, 'dist', 'tea')) || !existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) {
    throw new Error('dist/ is missing: run "npm run build" first');
  }
  const wine = new Wine(CACHE);
  let started = Date.now();
  wine.prepare();
  process.stdout.write(`windows: Node for Windows and the Wine prefix ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);

  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  const out = path.join(RUN, 'out');
  const node = (name, args, opts = {}) => wine.node(args, { cwd: opts.cwd ?? work, outDir: out, name, ...opts });

  // The Windows home as node.exe sees it (C:\users\<name>), and where that is on this disk.
  const probe = await wine.node(['-p', 'JSON.stringify({home: require("os").homedir(), tmp: require("os").tmpdir(), platform: process.platform, version: process.version})'], { cwd: RUN, outDir: out, name: 'probe', timeoutMs: 120_000 });
  const winInfo = JSON.parse(probe.stdout);
  check(`node.exe runs (${winInfo.version}, ${winInfo.platform}, home ${winInfo.home})`, winInfo.platform === 'win32' && /^[A-Z]:\\/i.test(winInfo.home), show(probe));
  const winHome = winInfo.home;
  const home = wine.unixPath(winHome);
  const sshDir = path.join(home, '.ssh');
  rmSync(sshDir, { recursive: true, force: true });
  const work = path.join(home, 'tea-win-stage');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const cluster = await LocalSshdCluster.start({ count: 3, dir: path.join(RUN, 'hosts'), keepRunning: false });
  try {
    await scenarios({ node, cluster, winHome, sshDir, work, out, wineNodeExe: wine.nodeExe });
  } finally {
    await cluster.stop();
    wine.stop();
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

async function scenarios({ node, cluster, winHome, sshDir, work, out, wineNodeExe }) {
  const hosts = cluster.describe().hosts;
  const [h0, h1, h2] = hosts;
  const user = h0.user;
  // The client key in the Windows home as id_ed25519, the hosts in ssh_config via Include.
  mkdirSync(sshDir, { recursive: true });
  writeFileSync(path.join(sshDir, 'id_ed25519'), readFileSync(cluster.describe().clientKeyPath), { mode: 0o600 });
  writeCrlf(path.join(sshDir, 'config'), ['Include ~\\.ssh\\conf.d\\*.conf']);
  writeCrlf(path.join(sshDir, 'conf.d', 'hosts.conf'), [
    'Host win0',
    '  HostName 127.0.0.1',
    `  Port ${h0.port}`,
    `  User ${user}`,
    '  IdentityFile ~\\.ssh\\id_ed25519',
  ]);
  // known_hosts as Notepad leaves it (CRLF, no final newline), knowing host 0 only: accept-new adds host 1.
  writeFileSync(path.join(sshDir, 'known_hosts'), `# tea Windows stage\r\n[127.0.0.1]:${h0.port} ${h0.hostPublicKey}`);

  const main = workflowText({
    name: 'windows-fanout',
    hosts: ['win0', `{ host: 127.0.0.1, port: ${h1.port}, user: ${user}, identity_file: ${yamlQuote('%USERPROFILE%\\.ssh\\id_ed25519')} }`],
    extra: ['known_hosts: ~\\.ssh\\known_hosts', 'strict_host_key_checking: accept-new', 'agent: false'],
    branchBody: reportBranch,
  });
  writeCrlf(path.join(work, 'fanout.yaml'), main);
  writeCrlf(path.join(work, 'input.json'), ['{"words": ["windows", "client"]}']);

  // --version, --help
  let r = await node('version', [TEA, '--version']);
  check('tea --version', r.code === 0 && r.stdout.trim() === VERSION, show(r));
  r = await node('help', [TEA, '--help']);
  check('tea --help', r.code === 0 && r.stdout.includes('Usage: tea <command>'), show(r));
  r = await node('run-help', [TEA, 'run', '--help']);
  check('tea run --help', r.code === 0 && r.stdout.includes('--joblog'), show(r));

  // --dry-run: resolves hosts and keys from the Windows home, connects to nothing.
  r = await node('dry-run', [TEA, 'run', 'fanout.yaml', '--dry-run', '--json']);
  let plan;
  try {
    plan = JSON.parse(r.stdout);
  } catch {
    plan = undefined;
  }
  const key = `${winHome}\\.ssh\\id_ed25519`;
  check(
    'tea run --dry-run: hosts from ssh_config Include, keys found in the Windows home',
    r.code === 0 && plan?.remote?.hosts?.length === 2 && plan.remote.hosts.every((h) => h.identities.length === 1 && h.identities[0] === key) &&
      plan.remote.hosts[0].id === `${user}@win0:${h0.port}`,
    `${show(r)}\nexpected identities [${key}]`,
  );
  check('tea run --dry-run wrote nothing to known_hosts', !readFileSync(path.join(sshDir, 'known_hosts'), 'utf8').includes(String(h1.port)));

  // tea hosts check
  r = await node('hosts-check', [TEA, 'hosts', 'check', 'fanout.yaml', '--json']);
  let checked;
  try {
    checked = JSON.parse(r.stdout);
  } catch {
    checked = undefined;
  }
  check('tea hosts check: both hosts usable', r.code === 0 && Array.isArray(checked) && checked.length === 2, show(r));

  // The remote fan-out, with --input, --output (C:\ path) and --joblog (relative path).
  const outputWin = `${winHome}\\tea-win-stage\\results\\state.json`;
  mkdirSync(path.join(work, 'results'), { recursive: true });
  writeFileSync(path.join(work, 'results', 'state.json'), 'stale');
  r = await node('run', [TEA, 'run', 'fanout.yaml', '--input', 'input.json', '--output', outputWin, '--joblog', 'results\\joblog.tsv', '-q'], { timeoutMs: 240_000 });
  let state;
  try {
    state = JSON.parse(readFileSync(path.join(work, 'results', 'state.json'), 'utf8'));
  } catch {
    state = undefined;
  }
  const branchOk = state?.results?.length === 3 && state.results.every((b) => b.success && b.state.platform === 'linux' && b.state.letters === 13);
  check('tea run: 3 branches ran on the Linux hosts, fan-in on the Windows client', r.code === 0 && branchOk && state.fanin_platform === 'win32' && state.client_platform === 'win32', `${show(r)}\nstate: ${JSON.stringify(state)}`);
  const joblog = existsSync(path.join(work, 'results', 'joblog.tsv')) ? readFileSync(path.join(work, 'results', 'joblog.tsv'), 'utf8').trim().split('\n') : [];
  check('tea run --joblog: header + one row per branch attempt', joblog.length === 4 && joblog[0].startsWith('Seq\t'), joblog.join('\n'));
  const kh = readFileSync(path.join(sshDir, 'known_hosts'), 'utf8');
  check(
    'known_hosts in the Windows home: host 1 added (accept-new) on a line of its own',
    kh.startsWith(`# tea Windows stage\r\n[127.0.0.1]:${h0.port} ${h0.hostPublicKey}\r\n[127.0.0.1]:${h1.port} ssh-ed25519 `),
    kh,
  );

  // The standalone Windows binary (docs/binary.md: build-binary --target win32-x64 with
  // Node for Windows' node.exe): it starts, and runs the fan-out shipping the Linux binary
  // beside it (dist/tea-linux-x64, CI's stage 3b; built here when missing).
  const linuxBinary = path.join(ROOT, 'dist', 'tea-linux-x64');
  if (!existsSync(linuxBinary)) spawnSync(process.execPath, ['scripts/build-binary.mjs'], { cwd: ROOT, stdio: 'ignore', timeout: 600_000 });
  const exe = path.join(ROOT, 'dist', 'tea-win32-x64.exe');
  const built = spawnSync(process.execPath, ['scripts/build-binary.mjs', '--node', wineNodeExe, '--target', 'win32-x64'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  check('build-binary --target win32-x64 with node.exe', built.status === 0 && existsSync(exe) && existsSync(linuxBinary), `${built.stdout}\n${built.stderr}`);
  if (existsSync(exe)) {
    r = await node('exe-version', [Wine.winPath(exe), '--version'], { exe: true });
    check('tea-win32-x64.exe --version', r.code === 0 && r.stdout.trim() === VERSION, show(r));
    rmSync(path.join(work, 'results', 'exe-state.json'), { force: true });
    r = await node('exe-run', [Wine.winPath(exe), 'run', 'fanout.yaml', '--output', 'results\\exe-state.json'], { exe: true, timeoutMs: 300_000 });
    let exeState;
    try {
      exeState = JSON.parse(readFileSync(path.join(work, 'results', 'exe-state.json'), 'utf8'));
    } catch {
      exeState = undefined;
    }
    check(
      'tea-win32-x64.exe run: the fan-out on the Linux hosts (the Linux binary shipped)',
      r.code === 0 && exeState?.fanin_platform === 'win32' && exeState.results?.length === 3 && exeState.results.every((b) => b.success && b.state.platform === 'linux') &&
        /preflight ok: .*standalone binary/.test(r.stderr),
      `${show(r)}\nstate: ${JSON.stringify(exeState)}`,
    );
    rmSync(exe, { force: true });
  }

  // The three strategies in one fan-out (examples/strategies.yaml on host win0): a thread, a
  // child process on the Windows client (node.exe spawning node.exe) and a remote branch.
  const example = readFileSync(path.join(ROOT, 'examples', 'strategies.yaml'), 'utf8').replace(/      hosts:\n(        - .*\n)+/, '      hosts:\n        - win0\n');
  writeCrlf(path.join(work, 'strategies.yaml'), example.split('\n'));
  r = await node('strategies', [TEA, 'run', 'strategies.yaml', '--output', 'strategies.json', '-q'], { timeoutMs: 240_000 });
  let mixed;
  try {
    mixed = JSON.parse(readFileSync(path.join(work, 'strategies.json'), 'utf8'));
  } catch {
    mixed = undefined;
  }
  check(
    'examples/strategies.yaml: thread, process (a child node.exe) and remote branches in one fan-out',
    r.code === 0 && mixed?.sum === 31 && mixed.sorted?.join(',') === '1,1,2,3,4,5,6,9' && mixed.max === 9 &&
      mixed.pids.thread === mixed.pids.tea && mixed.pids.process !== mixed.pids.tea && mixed.ran.every((b) => b.ok),
    `${show(r)}\nstate: ${JSON.stringify(mixed)}`,
  );

  // tea plan (prints the GNU Parallel command; --dir writes its scripts under a C:\ path).
  r = await node('plan', [TEA, 'plan', 'fanout.yaml', '--dir', `${winHome}\\tea-win-stage\\plan`]);
  check(
    'tea plan --dir C:\\...: prints the command and writes run.sh, named by its Windows path',
    r.code === 0 && /parallel/.test(r.stdout) && existsSync(path.join(work, 'plan', 'run.sh')) && r.stdout.includes(`run it with: '${winHome}\\tea-win-stage\\plan\\fanout-1\\run.sh'`),
    show(r),
  );

  // Error paths: exit 1, the classified message (and code, where the joblog has a row), no stack trace.
  const errorCodes = (name) => {
    const file = path.join(work, name);
    if (!existsSync(file)) return [];
    const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const col = header.indexOf('ErrorCode');
    return rows.map((row) => row[col]);
  };
  const other = path.join(work, 'keys', 'other_ed25519');
  mkdirSync(path.dirname(other), { recursive: true });
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other], { timeout: 30_000 });
  writeCrlf(path.join(work, 'auth.yaml'), workflowText({
    name: 'auth-failure',
    hosts: [`${user}@127.0.0.1:${h0.port}`],
    extra: [`identity_file: ${yamlQuote(`${winHome}\\tea-win-stage\\keys\\other_ed25519`)}`, 'ssh_config: false', 'agent: false', 'known_hosts: ~\\.ssh\\known_hosts'],
    branchBody: reportBranch,
  }));
  r = await node('auth-failure', [TEA, 'run', 'auth.yaml', '-q'], { timeoutMs: 180_000 });
  check('auth failure: exit 1, "authentication failed" naming the Windows key path, no stack trace', r.code === 1 && r.stderr.includes(`authentication failed for user "${user}" (tried: ${winHome}\\tea-win-stage\\keys\\other_ed25519)`) && noStack(r), show(r));

  writeFileSync(path.join(work, 'bad_known_hosts'), `[127.0.0.1]:${h0.port} ${h1.hostPublicKey}\r\n`);
  writeCrlf(path.join(work, 'hostkey.yaml'), workflowText({
    name: 'changed-host-key',
    hosts: [`${user}@127.0.0.1:${h0.port}`],
    extra: [`known_hosts: ${yamlQuote(`${winHome}\\tea-win-stage\\bad_known_hosts`)}`, 'ssh_config: false', 'agent: false'],
    branchBody: reportBranch,
  }));
  r = await node('changed-host-key', [TEA, 'run', 'hostkey.yaml', '-q'], { timeoutMs: 180_000 });
  check(
    'changed host key: exit 1, "HOST KEY CHANGED" naming the Windows known_hosts path',
    r.code === 1 && r.stderr.includes('HOST KEY CHANGED') && r.stderr.includes(`${winHome}\\tea-win-stage\\bad_known_hosts`) && noStack(r),
    show(r),
  );

  const closed = await freePort();
  writeCrlf(path.join(work, 'unreachable.yaml'), workflowText({
    name: 'unreachable',
    hosts: [`${user}@127.0.0.1:${closed}`],
    extra: ['ssh_config: false', 'agent: false', 'connect_timeout: 10'],
    branchBody: reportBranch,
  }));
  r = await node('unreachable', [TEA, 'run', 'unreachable.yaml', '-q', '--joblog', 'unreachable.tsv'], { timeoutMs: 180_000 });
  check('unreachable host: exit 1, E_CONNECT_FAILED (connection refused), no stack trace', r.code === 1 && errorCodes('unreachable.tsv').includes('E_CONNECT_FAILED') && r.stderr.includes(`connection refused by 127.0.0.1:${closed}`) && noStack(r), `${show(r)}\njoblog codes: ${errorCodes('unreachable.tsv')}`);

  // Ctrl-C: Wine turns SIGINT to the process into a console Ctrl-C event, which Node
  // reports as 'SIGINT'. The run must stop with 130 and leave no remote process behind.
  writeCrlf(path.join(work, 'slow.yaml'), workflowText({
    name: 'ctrl-c',
    hosts: ['win0'],
    extra: ['known_hosts: ~\\.ssh\\known_hosts', 'kill_grace_seconds: 2'],
    branchBody: () => 'await new Promise((r) => setTimeout(r, 120000)); return {};',
  }));
  const sshdPids = hosts.map((h) => h.pid);
  const sessions = () => sshdPids.flatMap((pid) => descendants(pid));
  const branches = () => sessions().filter((p) => p.comm === 'node').length;
  /** Runs slow.yaml, sends `signal` once its three branches run on the hosts; returns the result and what is left under sshd. */
  const interrupt = async (name, signal) => {
    let sawBranches = false;
    const result = await node(name, [TEA, 'run', 'slow.yaml'], {
      timeoutMs: 180_000,
      onStart: (child) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (branches() >= 3 || Date.now() - started > 90_000) {
            clearInterval(poll);
            sawBranches = branches() >= 3;
            setTimeout(() => process.kill(child.pid, signal), 1500);
          }
        }, 250);
      },
    });
    let left = sessions();
    for (let i = 0; i < 60 && left.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 250));
      left = sessions();
    }
    return { result, sawBranches, left, detail: `${show(result)}\nsaw 3 branches: ${sawBranches}; left under sshd: ${left.map((p) => `${p.pid} ${p.args}`).join('; ')}` };
  };
  let cut = await interrupt('ctrl-c', 'SIGINT');
  check('Ctrl-C (SIGINT under Wine): exit 130 while branches run, no remote process left', cut.sawBranches && cut.result.code === 130 && cut.left.length === 0, cut.detail);
  // Ctrl-Break, a closed console window or Task Manager end the process at once (Wine cannot
  // send Ctrl-Break): the branches' connections drop and the remote watchdog ends them.
  cut = await interrupt('killed', 'SIGKILL');
  check('client killed mid-run (as Ctrl-Break / closed window): no remote process left', cut.sawBranches && cut.left.length === 0, cut.detail);

  // The agent over a Windows named pipe: host 2 accepts only the agent's key, which is
  // nowhere on disk for the client; a Windows process serves it on a pipe (agent.cjs).
  const agentKey = path.join(work, 'keys', 'agent_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', agentKey], { timeout: 30_000 });
  const harness = JSON.parse(readFileSync(path.join(cluster.describe().dir, 'state.json'), 'utf8'));
  writeFileSync(harness.hosts[2].authorizedKeysPath, readFileSync(`${agentKey}.pub`));
  const pipe = `\\\\.\\pipe\\tea-stage-agent-${process.pid}`;
  const agentOut = path.join(out, 'agent.stdout');
  let stopAgent;
  const agentDone = node('agent', [Wine.winPath(path.join(ROOT, 'test', 'windows', 'agent.cjs')), pipe, `${winHome}\\tea-win-stage\\keys\\agent_ed25519`], {
    cwd: ROOT,
    timeoutMs: 600_000,
    onStart: (child) => {
      stopAgent = () => child.kill('SIGKILL');
    },
  });
  for (let i = 0; i < 120 && !(existsSync(agentOut) && readFileSync(agentOut, 'utf8').includes('listening')); i++) await new Promise((res) => setTimeout(res, 250));
  const agentYaml = (agent) =>
    workflowText({
      name: 'agent-pipe',
      hosts: [`${user}@127.0.0.1:${h2.port}`],
      extra: [`agent: ${agent}`, 'ssh_config: false', 'known_hosts: ~\\.ssh\\known_hosts', 'strict_host_key_checking: accept-new'],
      branchBody: reportBranch,
    });
  writeCrlf(path.join(work, 'agent.yaml'), agentYaml(yamlQuote(pipe)));
  writeCrlf(path.join(work, 'no-agent.yaml'), agentYaml('false'));
  r = await node('agent-run', [TEA, 'run', 'agent.yaml', '--output', 'agent-state.json', '-q'], { timeoutMs: 180_000 });
  const signs = (readFileSync(agentOut, 'utf8').match(/^sign$/gm) ?? []).length;
  let agentState;
  try {
    agentState = JSON.parse(readFileSync(path.join(work, 'agent-state.json'), 'utf8'));
  } catch {
    agentState = undefined;
  }
  check(
    `agent on a Windows named pipe (${pipe}): the run authenticates through it`,
    r.code === 0 && signs >= 1 && agentState?.results?.length === 3 && agentState.results.every((b) => b.success),
    `${show(r)}\nagent log:\n${readFileSync(agentOut, 'utf8')}`,
  );
  r = await node('no-agent-run', [TEA, 'run', 'no-agent.yaml', '-q'], { timeoutMs: 180_000 });
  check('the same host with agent: false fails authentication (the agent was needed)', r.code === 1 && r.stderr.includes('authentication failed') && noStack(r), show(r));
  stopAgent?.();
  await agentDone;

  // The Windows unit tests (test/windows/unit.cjs) under the same node.exe.
  r = await node('unit', [Wine.winPath(path.join(ROOT, 'test', 'windows', 'unit.cjs'))], { cwd: ROOT, timeoutMs: 300_000 });
  process.stdout.write(r.stdout.split('\n').filter((l) => l !== '').map((l) => `     unit: ${l}`).join('\n') + '\n');
  const m = /^(\d+) passed, (\d+) failed$/m.exec(r.stdout);
  const unitPassed = m ? Number(m[1]) : 0;
  const unitFailed = m ? Number(m[2]) : 1;
  // Each unit test counts as one result in the closing line.
  for (let i = 0; i < unitPassed; i++) results.push({ name: 'unit', ok: true });
  for (let i = 0; i < unitFailed; i++) results.push({ name: 'unit', ok: false });
  if (r.code !== 0 && unitFailed === 0) check('unit runner exited cleanly', false, show(r));
}

/** Every process below `pid` (a host's sshd: its sessions and what they run). */
function descendants(pid) {
  const r = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,comm=,args='], { encoding: 'utf8', timeout: 10_000 });
  const children = new Map();
  for (const line of r.stdout.trim().split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m === null) continue;
    const proc = { pid: Number(m[1]), comm: m[3], args: m[4] };
    const ppid = Number(m[2]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(proc);
  }
  const out = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop();
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

const t0 = Date.now();
main()
  .catch((error) => {
    check('stage setup', false, error instanceof Error ? error.stack ?? error.message : String(error));
  })
  .finally(() => {
    const passed = results.filter((x) => x.ok).length;
    const failed = results.length - passed;
    process.stdout.write(`windows: stage took ${((Date.now() - t0) / 1000).toFixed(0)}s\n${passed} passed, ${failed} failed\n`);
    process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
    const jsonOut = process.argv.indexOf('--json-out');
    if (jsonOut > 0 && process.argv[jsonOut + 1]) writeFileSync(process.argv[jsonOut + 1], JSON.stringify({ numPassedTests: passed, numFailedTests: failed }));
  });
