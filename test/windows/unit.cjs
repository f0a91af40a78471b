// Unit tests of the modules that touch local paths, run by Node for Windows (node.exe
// under Wine in CI: test/windows/stage.mjs) over the built dist/lib modules. jest does
// not run well under Wine, so this is a small runner: tests run one after another and
// the last line is `N passed, N failed`; the exit code is 1 on any failure.
//
// Each test isolates the home: USERPROFILE (what os.homedir() reads on Windows) points
// at a fresh directory under os.tmpdir(), so `~`, `%USERPROFILE%` and the defaults
// (~\.ssh\id_ed25519, ~\.ssh\config, ~\.ssh\known_hosts) resolve inside it.
'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DIST = path.join(__dirname, '..', '..', 'dist', 'lib');
const lib = (name) => require(path.join(DIST, ...name.split('/')));

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

let home;
let counter = 0;
function freshHome() {
  home = fs.mkdtempSync(path.join(os.tmpdir(), `tea-win-${counter++}-`));
  process.env.USERPROFILE = home;
  fs.mkdirSync(path.join(home, '.ssh'));
  return home;
}
function newKey(file) {
  const { utils } = require('ssh2');
  // ssh2 1.17's generator makes a key its own parser refuses ("Malformed OpenSSH private
  // key") about 3 times in 1000: take the next one then, so the tests do not flake.
  let pair;
  for (let i = 0; i < 20 && (pair === undefined || utils.parseKey(pair.private) instanceof Error); i++) pair = utils.generateKeyPairSync('ed25519');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, pair.private, { mode: 0o600 });
  return file;
}
/** The TeaError `fn` throws (sync or async). */
async function rejection(fn) {
  try {
    await fn();
  } catch (error) {
    assert.equal(error.name, 'TeaError', `expected a TeaError, got ${error && error.stack}`);
    return error;
  }
  assert.fail('expected an error');
}
const remoteConfig = (remote) => lib('config/parallel').parseParallelConfig({ strategy: 'remote', remote }).remote;
const resolve = (remote, env = {}) => lib('remote/trust/hosts').resolveHosts(remoteConfig({ ssh_config: false, agent: false, ...remote }), { env });
/** An ed25519 public key blob as ssh2 hands it to host verification. */
function hostKeyBlob(seed) {
  const type = Buffer.from('ssh-ed25519');
  const out = Buffer.alloc(4 + type.length + 4 + 32, seed);
  out.writeUInt32BE(type.length, 0);
  type.copy(out, 4);
  out.writeUInt32BE(32, 4 + type.length);
  return out;
}

// ---- the platform itself ----------------------------------------------------------

test('runs as Windows Node: win32, a drive-letter home and temp dir', () => {
  assert.equal(process.platform, 'win32');
  assert.match(os.homedir(), /^[A-Za-z]:\\/);
  assert.match(os.tmpdir(), /^[A-Za-z]:\\/);
});

// ---- util/paths --------------------------------------------------------------------

test('expandHome: ~, ~\\ and ~/ are the Windows home, joined with backslashes', () => {
  const { expandHome } = lib('util/paths');
  freshHome();
  assert.equal(expandHome('~'), home);
  assert.equal(expandHome('~\\.ssh\\id_ed25519'), `${home}\\.ssh\\id_ed25519`);
  assert.equal(expandHome('~/.ssh/known_hosts'), `${home}\\.ssh\\known_hosts`);
});

test('expandHome: %USERPROFILE% and other %VARIABLES% (any case); absolute paths and pipes as written', () => {
  const { expandHome } = lib('util/paths');
  freshHome();
  assert.equal(expandHome('%USERPROFILE%\\.ssh\\id_ed25519'), `${home}\\.ssh\\id_ed25519`);
  assert.equal(expandHome('%userprofile%\\.ssh\\config'), `${home}\\.ssh\\config`);
  assert.equal(expandHome('C:\\keys\\id'), 'C:\\keys\\id');
  assert.equal(expandHome('\\\\.\\pipe\\openssh-ssh-agent'), '\\\\.\\pipe\\openssh-ssh-agent');
});

// ---- identity files ----------------------------------------------------------------

test('identity_file: C:\\..., ~\\... and %USERPROFILE%\\... all load the key, under its native path', () => {
  freshHome();
  const key = newKey(path.join(home, '.ssh', 'id_work'));
  for (const written of [key, '~\\.ssh\\id_work', '~/.ssh/id_work', '%USERPROFILE%\\.ssh\\id_work']) {
    const [h] = resolve({ hosts: ['u@h'], identity_file: written });
    assert.deepEqual(h.identities.map((i) => i.path), [key], written);
    assert.ok(h.identities[0].key.length > 0);
  }
});

test('default identities: ~\\.ssh\\id_ed25519 is found in the Windows home', () => {
  freshHome();
  const key = newKey(path.join(home, '.ssh', 'id_ed25519'));
  const [h] = resolve({ hosts: ['u@h'] });
  assert.deepEqual(h.identities.map((i) => i.path), [key]);
});

test('a missing identity_file is an E_CONFIG_INVALID naming the expanded Windows path', async () => {
  freshHome();
  const error = await rejection(() => resolve({ hosts: ['u@h'], identity_file: '~\\.ssh\\nope' }));
  assert.equal(error.code, 'E_CONFIG_INVALID');
  assert.ok(error.message.includes(`${home}\\.ssh\\nope`), error.message);
});

test('the default user is the local account name when it is a valid SSH user', () => {
  freshHome();
  newKey(path.join(home, '.ssh', 'id_ed25519'));
  const name = os.userInfo().username;
  if (/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(name)) {
    assert.equal(resolve({ hosts: ['h'] })[0].user, name);
  } else {
    assert.throws(() => resolve({ hosts: ['h'] }), /is not a valid SSH user name/);
  }
});

// ---- agent -------------------------------------------------------------------------

test('agent: the OpenSSH for Windows pipe and Pageant are accepted as written', () => {
  freshHome();
  const key = newKey(path.join(home, '.ssh', 'id_ed25519'));
  const { resolveHosts } = lib('remote/trust/hosts');
  for (const agent of ['\\\\.\\pipe\\openssh-ssh-agent', '//./pipe/openssh-ssh-agent', 'pageant']) {
    const [h] = resolveHosts(remoteConfig({ hosts: ['u@h'], ssh_config: false, identity_file: key, agent }), { env: {} });
    assert.equal(h.agent, agent);
  }
});

// ---- ssh_config and Include ---------------------------------------------------------

test('ssh_config: the default ~\\.ssh\\config (CRLF) with Include ~\\... globs and relative Include', () => {
  freshHome();
  const key = newKey(path.join(home, '.ssh', 'keys', 'id_build'));
  fs.mkdirSync(path.join(home, '.ssh', 'conf.d'));
  fs.writeFileSync(path.join(home, '.ssh', 'conf.d', '10-build.conf'), 'Host build\r\n  HostName 10.1.2.3\r\n  Port 2200\r\n');
  fs.writeFileSync(path.join(home, '.ssh', 'extra'), 'Host build\r\n  User deploy\r\n');
  fs.writeFileSync(
    path.join(home, '.ssh', 'config'),
    'Include ~\\.ssh\\conf.d\\*.conf\r\nInclude extra\r\nHost build\r\n  IdentityFile %d\\.ssh\\keys\\id_build\r\n  IdentityAgent \\\\.\\pipe\\openssh-ssh-agent\r\n',
  );
  const { resolveHosts } = lib('remote/trust/hosts');
  const [h] = resolveHosts(remoteConfig({ hosts: ['build'] }), { env: {} });
  assert.equal(h.id, 'deploy@build:2200');
  assert.equal(h.host, '10.1.2.3');
  assert.deepEqual(h.identities.map((i) => i.path), [key]);
  assert.equal(h.agent, '\\\\.\\pipe\\openssh-ssh-agent');
});

test('ssh_config given as %USERPROFILE%\\... and as C:\\...', () => {
  freshHome();
  newKey(path.join(home, '.ssh', 'id_ed25519'));
  fs.writeFileSync(path.join(home, 'cfg'), 'Host a\r\n  User alice\r\n');
  const { resolveHosts } = lib('remote/trust/hosts');
  for (const written of ['%USERPROFILE%\\cfg', path.join(home, 'cfg')]) {
    assert.equal(resolveHosts(remoteConfig({ hosts: ['a'], ssh_config: written, agent: false }), { env: {} })[0].user, 'alice');
  }
});

// ---- known_hosts -------------------------------------------------------------------

test('known_hosts: accept-new creates ~\\.ssh\\kh\\known_hosts in the Windows home, then refuses a changed key', () => {
  freshHome();
  const { HostKeyPolicy } = lib('remote/trust/host-key-policy');
  const { silentLogger } = lib('log');
  const policy = new HostKeyPolicy('~\\.ssh\\kh\\known_hosts', 'accept-new', silentLogger);
  assert.equal(policy.path, `${home}\\.ssh\\kh\\known_hosts`);
  assert.equal(policy.verify('u@h:2222', 'h', 2222, hostKeyBlob(1)), null);
  assert.match(fs.readFileSync(path.join(home, '.ssh', 'kh', 'known_hosts'), 'utf8'), /^\[h\]:2222 ssh-ed25519 /);
  const changed = policy.verify('u@h:2222', 'h', 2222, hostKeyBlob(2));
  assert.equal(changed.code, 'E_HOST_KEY_REJECTED');
  assert.ok(changed.message.includes(`${home}\\.ssh\\kh\\known_hosts line 1`), changed.message);
});

test('known_hosts: a CRLF file without a final newline (Notepad) is read, and appended to on a new line', () => {
  freshHome();
  const { HostKeyPolicy } = lib('remote/trust/host-key-policy');
  const { silentLogger } = lib('log');
  const file = path.join(home, '.ssh', 'known_hosts');
  const known = `# saved on Windows\r\n[a]:22 ssh-ed25519 ${hostKeyBlob(3).toString('base64')}`.replace('[a]:22', 'a');
  fs.writeFileSync(file, known);
  const policy = new HostKeyPolicy('%USERPROFILE%\\.ssh\\known_hosts', 'accept-new', silentLogger);
  assert.equal(policy.verify('a', 'a', 22, hostKeyBlob(3)), null);
  assert.equal(policy.verify('b', 'b', 22, hostKeyBlob(4)), null);
  assert.equal(fs.readFileSync(file, 'utf8'), `${known}\r\nb ssh-ed25519 ${hostKeyBlob(4).toString('base64')}\n`);
  const strict = new HostKeyPolicy(file, 'yes', silentLogger);
  assert.equal(strict.verify('a', 'a', 22, hostKeyBlob(3)), null);
  assert.equal(strict.verify('b', 'b', 22, hostKeyBlob(4)), null);
});

// ---- basefile ----------------------------------------------------------------------

test('basefile: the default is this build\'s dist\\tea, found by its Windows path', () => {
  const { defaultBasefilePath, loadBasefile } = lib('remote/host/basefile');
  const found = defaultBasefilePath();
  assert.ok(found !== null, 'dist\\tea not found');
  assert.equal(path.resolve(found), path.join(DIST, '..', 'tea'));
  const basefile = loadBasefile(undefined);
  assert.equal(basefile.kind, 'js');
  assert.match(basefile.sha256, /^[0-9a-f]{64}$/);
});

test('basefile: C:\\..., ~\\... and a relative path (from the current directory) load the same file', () => {
  freshHome();
  const { loadBasefile } = lib('remote/host/basefile');
  const file = path.join(home, 'bin', 'tea-tool');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, '#!/usr/bin/env node\nconsole.log(1)\n');
  const cwd = process.cwd();
  process.chdir(home);
  try {
    for (const written of [file, '~\\bin\\tea-tool', '%USERPROFILE%\\bin\\tea-tool', 'bin\\tea-tool', '.\\bin\\tea-tool']) {
      const b = loadBasefile(written);
      assert.equal(b.localPath, file, written);
      assert.equal(b.kind, 'js');
    }
  } finally {
    process.chdir(cwd);
  }
});

test('remote paths stay POSIX on a Windows client (layout and SFTP paths)', () => {
  const { runLayout, basefilePath, flowDir, sftpPath, hostSlug } = lib('remote/host/layout');
  const slug = hostSlug('tea@host:22');
  assert.match(slug, /^h[0-9a-f]{10}$/);
  const layout = runLayout('/tmp/tea-jobs', 'r1', slug);
  assert.deepEqual([layout.runDir, layout.workflow, layout.marker, basefilePath(layout, 'ab'.repeat(32)), flowDir(layout, 1, 2, 1)], [
    `/tmp/tea-jobs/run-r1-${slug}`,
    `/tmp/tea-jobs/run-r1-${slug}/workflow.yaml`,
    `/tmp/tea-jobs/run-r1-${slug}/.tea-run`,
    '/tmp/tea-jobs/.cache/tea-abababababababab',
    `/tmp/tea-jobs/run-r1-${slug}/1-2-a1`,
  ]);
  assert.equal(sftpPath('~/jobs'), 'jobs');
});

// ---- --output, --joblog, --input, the workflow file ----------------------------------

test('--output: a Windows path is checked and written atomically, replacing an existing file', async () => {
  freshHome();
  const { checkOutputPath, writeJsonAtomic } = lib('cli/output');
  const file = path.join(home, 'out', 'state.json');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, 'old');
  const target = await checkOutputPath(file);
  assert.equal(target, file);
  await writeJsonAtomic(target, { a: 1 });
  assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['state.json']);
  const missing = await rejection(() => checkOutputPath(path.join(home, 'nope', 'state.json')));
  assert.equal(missing.code, 'E_USAGE');
  assert.ok(missing.message.includes(`directory ${home}\\nope does not exist`), missing.message);
});

test('--joblog: a Windows path gets the header and rows; a bad one is E_USAGE', async () => {
  freshHome();
  const { JobLog } = lib('cli/joblog');
  const file = path.join(home, 'joblog.tsv');
  const log = JobLog.open(file);
  log.onEvent({
    type: 'fanout:finished',
    node: 'fan',
    results: [{ branch: 'b1', strategy: 'remote', error_code: null, attempts: [{ ok: true, host: 'u@h:22', started_at: new Date(0).toISOString(), duration_ms: 1500, exit_code: 0, signal: null }] }],
  });
  log.close();
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  assert.equal(lines[0].split('\t')[0], 'Seq');
  assert.deepEqual(lines[1].split('\t').slice(0, 5), ['1', 'u@h:22', '0.000', '1.500', '0']);
  const bad = await rejection(() => JobLog.open(path.join(home, 'no-dir', 'joblog.tsv')));
  assert.equal(bad.code, 'E_USAGE');
});

test('--input: a C:\\... path and @C:\\... read the file (with a BOM, as Notepad saves)', async () => {
  freshHome();
  const { readInput } = lib('cli/input');
  const file = path.join(home, 'in.json');
  fs.writeFileSync(file, '\uFEFF{"a": 1}\r\n');
  assert.deepEqual(await readInput(file, process.stdin), { a: 1 });
  assert.deepEqual(await readInput(`@${file}`, process.stdin), { a: 1 });
});

test('the workflow file: a CRLF YAML at a Windows path loads with its remote settings', async () => {
  freshHome();
  const { loadWorkflowFile } = lib('workflow/load');
  const file = path.join(home, 'wf.yaml');
  const text = [
    'name: crlf',
    'settings:',
    '  parallel:',
    '    strategy: remote',
    '    remote:',
    '      hosts: [u@h]',
    '      identity_file: ~\\.ssh\\id_ed25519',
    '      agent: \\\\.\\pipe\\openssh-ssh-agent',
    'nodes:',
    '  - name: a',
    '    run: |',
    '      return { x: 1 }',
    '',
  ].join('\r\n');
  fs.writeFileSync(file, text);
  const wf = await loadWorkflowFile(file);
  assert.equal(wf.name, 'crlf');
  assert.equal(wf.parallel.remote.identity_file, '~\\.ssh\\id_ed25519');
  assert.equal(wf.parallel.remote.agent, '\\\\.\\pipe\\openssh-ssh-agent');
  assert.deepEqual(await wf.graph.nodes.get('a').run({ state: {}, parallel_results: undefined, variables: {}, signal: new AbortController().signal }), { x: 1 });
});

// ---- runner ------------------------------------------------------------------------

(async () => {
  let passed = 0;
  let failed = 0;
  const only = process.argv[2];
  for (const t of tests) {
    if (only !== undefined && !t.name.includes(only)) continue;
    try {
      await t.fn();
      passed += 1;
      process.stdout.write(`ok   ${t.name}\n`);
    } catch (error) {
      failed += 1;
      process.stdout.write(`FAIL ${t.name}\n     ${String(error && error.stack ? error.stack : error).replace(/\n/g, '\n     ')}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
})();
