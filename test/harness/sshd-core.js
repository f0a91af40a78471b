// @ts-check
'use strict';
/**
 * Real OpenSSH sshd processes on loopback, shared by the jest fixture
 * (test/harness/local-sshd.ts) and the CLI (scripts/local-hosts.mjs).
 *
 * Plain CommonJS on purpose: the CLI must run with bare `node` (no TS compile) and jest
 * must load it without ESM flags. Types live in sshd-core.d.ts beside it.
 *
 * Every sshd runs `-D -e -f <config>` in its own session (detached), so it outlives the
 * CLI that started it and can be signalled as a tree. sshd's per-connection children
 * call setsid() themselves, so "the tree" is found through /proc parent links, not
 * process groups.
 */
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { accountInfo, ensureLoginUser, isRoot } = require('./users');

const SSHD = process.env.TEA_SSHD || '/usr/sbin/sshd';
const SSH_KEYGEN = process.env.TEA_SSH_KEYGEN || 'ssh-keygen';
const READY_TIMEOUT_MS = 10_000;
const STATE_FILE = 'state.json';
const CLI_PATH = path.resolve(__dirname, '../../scripts/local-hosts.mjs');

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** Generates an unencrypted ed25519 key pair; returns the public key without comment. */
function generateKey(/** @type {string} */ keyPath, /** @type {string} */ comment) {
  fs.rmSync(keyPath, { force: true });
  fs.rmSync(`${keyPath}.pub`, { force: true });
  execFileSync(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', keyPath], { stdio: 'pipe' });
  return fs.readFileSync(`${keyPath}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/**
 * A loopback port the kernel just handed out, closed again: nothing listens on it (tests use it
 * as a dead host). Another process may take it before sshd binds: callers retry.
 * @returns {Promise<number>}
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

// ---- /proc process tree ------------------------------------------------------------

/** @returns {{ppid: number, state: string} | undefined} */
function procStat(/** @type {number} */ pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and ")": fields after the last ")" are fixed.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function isAlive(/** @type {number} */ pid) {
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

/** pid and all its live descendants, parents first. */
function processTree(/** @type {number} */ root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = /** @type {number} */ (queue.shift());
    if (!isAlive(pid)) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function signal(/** @type {number} */ pid, /** @type {NodeJS.Signals} */ sig) {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Signals a whole tree. For SIGKILL the tree is first frozen (SIGSTOP until no new
 * member appears), so a connection forked meanwhile cannot escape as an orphan.
 */
function signalTree(/** @type {number} */ root, /** @type {NodeJS.Signals} */ sig) {
  let pids = processTree(root);
  if (sig === 'SIGKILL' || sig === 'SIGSTOP') {
    for (let round = 0; round < 5; round++) {
      pids.forEach((p) => signal(p, 'SIGSTOP'));
      const again = processTree(root);
      const grew = again.some((p) => !pids.includes(p));
      pids = again;
      if (!grew) break;
    }
    if (sig === 'SIGSTOP') return pids;
  }
  pids.forEach((p) => signal(p, sig));
  return pids;
}

async function waitDead(/** @type {number[]} */ pids, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > end) throw new Error(`processes ${pids.filter(isAlive).join(',')} still alive after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * Only signal a pid that still runs OUR server (pids get reused after a crash). sshd
 * rewrites its title ("sshd: /usr/sbin/sshd -D -e -f CONFIG [listener] ..."), dropbear keeps
 * its NUL-separated argv: match a substring of the space-joined command line. The marker is
 * the config path (sshd) or the host key path (dropbear), both unique to the host.
 * @param {import('./sshd-core').HostState} h
 */
function runsHost(h) {
  if (!h.pid) return false;
  const marker = h.server === 'dropbear' ? h.hostKeyPath : h.configPath;
  try {
    return fs.readFileSync(`/proc/${h.pid}/cmdline`, 'utf8').split('\0').join(' ').includes(` ${marker}`) && isAlive(h.pid);
  } catch {
    return false;
  }
}

// ---- the login user -------------------------------------------------------------------

/**
 * The user the hosts log in. As root it is a dedicated account whose login shell is
 * /bin/sh (no rc files), like a fleet's deploy user: root's rc files on these machines
 * run `pyenv init` on every SSH exec (0.3 s, and 60 s when a killed session left
 * pyenv's rehash lock behind), which would make every fault test a test of pyenv.
 * `loginShell`/`rcOutput` pick another account (users.js: created as root, race-safe).
 * TEA_TEST_USER overrides the default; as an ordinary user the hosts log in that user.
 * @param {{ loginShell?: string, rcOutput?: string }} opts
 */
function loginUser(opts) {
  if (opts.loginShell !== undefined || opts.rcOutput !== undefined) return ensureLoginUser(opts).name;
  if (process.env.TEA_TEST_USER) return process.env.TEA_TEST_USER;
  if (!isRoot()) return os.userInfo().username;
  return ensureLoginUser({}).name;
}

/** The user's shell from the passwd database ('' when the lookup fails). */
function loginShellOf(/** @type {string} */ user) {
  try {
    return execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim().split(':')[6] ?? '';
  } catch {
    return '';
  }
}

// ---- configuration -----------------------------------------------------------------

/** Debian's stock sftp-server (package openssh-sftp-server), run through the login shell. */
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';
const SFTP_MODES = ['internal', 'external', 'none', 'stalled'];

/**
 * The sftp Subsystem line a host's `sftp` mode asks for: internal-sftp (in-process, no shell),
 * Debian's stock external server (started through the login shell, so rc output corrupts it),
 * none at all (hardened hosts), or a server that takes the channel and never answers.
 * @param {import('./sshd-core').HostState} h
 * @returns {Array<[string, string]>}
 */
function subsystemLine(h) {
  switch (h.sftp) {
    case 'external': return [['Subsystem', `sftp ${SFTP_SERVER}`]];
    case 'stalled': return [['Subsystem', `sftp ${stalledServerPath(h)}`]];
    case 'none': return [];
    default: return [['Subsystem', 'sftp internal-sftp']];
  }
}

function stalledServerPath(/** @type {import('./sshd-core').HostState} */ h) {
  return path.join(h.dir, 'stalled-sftp-server');
}

/**
 * Reads the client's requests and never answers; `cat` ends at EOF, i.e. when the channel
 * or connection closes, so a stalled server never outlives its session.
 */
const STALLED_SERVER = '#!/bin/sh\n# test/harness: an sftp subsystem that accepts the channel and never answers\nexec cat >/dev/null\n';

/** @template T @param {T | Array<T | undefined> | undefined} opt @param {number} i @returns {T | undefined} */
function perHost(opt, i) {
  return Array.isArray(opt) ? opt[i] : opt;
}

/**
 * sshd keeps the FIRST value it reads for an option, so overrides replace defaults
 * (matched case-insensitively) instead of being appended.
 * @param {import('./sshd-core').HostState} h
 * @param {string} user
 */
function sshdConfig(h, user) {
  /** @type {Array<[string, string]>} */
  const defaults = [
    ['Port', String(h.port)],
    ['ListenAddress', '127.0.0.1'],
    ['AddressFamily', 'inet'],
    ['HostKey', h.hostKeyPath],
    ['PidFile', h.pidPath],
    ['AuthorizedKeysFile', h.authorizedKeysPath],
    ['AllowUsers', user],
    ['PermitRootLogin', 'prohibit-password'],
    ['PubkeyAuthentication', 'yes'],
    ['PasswordAuthentication', 'no'],
    ['KbdInteractiveAuthentication', 'no'],
    // No PAM: it needs root and /etc/pam.d/sshd; without it sshd checks the key alone.
    ['UsePAM', 'no'],
    // Keys and dirs live in a temp dir whose owner/modes sshd would otherwise reject.
    ['StrictModes', 'no'],
    ...subsystemLine(h),
    ['AcceptEnv', 'TEA_*'],
    // VERBOSE logs "Connection from" and "Accepted publickey": tests count logins.
    ['LogLevel', 'VERBOSE'],
    ['PrintMotd', 'no'],
    ['PrintLastLog', 'no'],
    ['UseDNS', 'no'],
    ['X11Forwarding', 'no'],
  ];
  const extra = Object.entries(h.options);
  const overridden = new Set(extra.map(([k]) => k.toLowerCase()));
  const lines = [...extra, ...defaults.filter(([k]) => !overridden.has(k.toLowerCase()))];
  return `# generated by test/harness/sshd-core.js for ${h.name}\n${lines.map(([k, v]) => `${k} ${v}`).join('\n')}\n`;
}

// ---- dropbear ------------------------------------------------------------------------

const DROPBEAR = process.env.TEA_DROPBEAR || '/usr/sbin/dropbear';
const DROPBEARKEY = process.env.TEA_DROPBEARKEY || 'dropbearkey';
/** The path Debian's dropbear runs for the sftp subsystem (compiled in: SFTPSERVER_PATH). */
const DROPBEAR_SFTP_SERVER = '/usr/lib/sftp-server';
/** sshd's and dropbear's lines for a successful key login. */
const LOGIN_LINE = /Accepted publickey for |Pubkey auth succeeded for /g;

function checkDropbear() {
  if (!fs.existsSync(DROPBEAR)) throw new Error(`${DROPBEAR} not found: apt-get install -y dropbear-bin (or set TEA_DROPBEAR)`);
  if (!isRoot()) throw new Error('dropbear hosts need root: each runs in a private mount namespace (unshare -m)');
}

/** A dropbear-format ed25519 host key; returns "ssh-ed25519 AAAA...". */
function generateDropbearKey(/** @type {string} */ keyPath) {
  fs.rmSync(keyPath, { force: true });
  const out = execFileSync(DROPBEARKEY, ['-t', 'ed25519', '-f', keyPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = out.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  if (!line) throw new Error(`dropbearkey printed no public key: ${out}`);
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/**
 * Dropbear reads only ~/.ssh/authorized_keys (no AuthorizedKeysFile option). Each host binds
 * its own file over it in a private mount namespace, so fixtures sharing the login user
 * never touch each other's keys; here the mount point is made once (mode 0600, the user's).
 */
function prepareDropbearLogin(/** @type {string} */ user) {
  const info = accountInfo(user);
  const sshDir = path.join(info.home, '.ssh');
  try {
    fs.mkdirSync(sshDir, { mode: 0o700 });
    fs.chownSync(sshDir, info.uid, info.gid);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
  }
  const target = path.join(sshDir, 'authorized_keys');
  try {
    fs.closeSync(fs.openSync(target, 'wx', 0o600));
    fs.chownSync(target, info.uid, info.gid);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
  }
}

/**
 * `unshare -m` runs a shell that mounts this host's view (its authorized_keys over the
 * user's; no sftp-server, or a stalled one, over the path dropbear runs) and then execs
 * dropbear in the same process: the spawned pid is dropbear's.
 * @param {import('./sshd-core').HostState} h
 * @param {string} user
 */
function dropbearCommand(h, user) {
  const target = path.join(accountInfo(user).home, '.ssh', 'authorized_keys');
  const server = fs.existsSync(DROPBEAR_SFTP_SERVER) ? fs.realpathSync(DROPBEAR_SFTP_SERVER) : '';
  let view = '';
  // An empty tmpfs over the server's directory: the shell finds no sftp-server (exit 127).
  if (h.sftp === 'none' && server) view = `mount -t tmpfs -o size=4k,mode=755 tea-no-sftp ${path.dirname(server)}`;
  if (h.sftp === 'stalled') {
    if (!server) throw new Error(`${DROPBEAR_SFTP_SERVER} is missing (a stalled one is bound over it): apt-get install -y openssh-sftp-server`);
    view = `mount --bind ${stalledServerPath(h)} ${server}`;
  }
  const script = `mount --bind "$1" "$2"${view ? ` && ${view}` : ''} && shift 2 && exec "$@"`;
  return [
    'unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'tea-dropbear', h.authorizedKeysPath, target,
    // -F foreground, -E log to stderr, -s keys only, -P pid file, one ed25519 host key.
    DROPBEAR, '-F', '-E', '-s', '-p', `127.0.0.1:${h.port}`, '-r', h.hostKeyPath, '-P', h.pidPath,
  ];
}

/** Whether something listens on 127.0.0.1:port (state 0A in /proc/net/tcp). */
function isListening(/** @type {number} */ port) {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1] === local && f[3] === '0A';
  });
}

// ---- the cluster -------------------------------------------------------------------

/** @type {Set<LocalSshdCluster>} */
const live = new Set();
let exitHookInstalled = false;

class LocalSshdCluster {
  /** @param {import('./sshd-core').ClusterState} state */
  constructor(state) {
    this.state = state;
  }

  get dir() { return this.state.dir; }
  get hosts() { return this.state.hosts; }

  /** @param {import('./sshd-core').StartOptions} opts */
  static async start(opts) {
    const count = opts.count;
    if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer (got ${count})`);
    const badIndex = (opts.wrongKeyOn ?? []).find((i) => !Number.isInteger(i) || i < 0 || i >= count);
    if (badIndex !== undefined) throw new Error(`wrongKeyOn: no host ${badIndex} among ${count}`);
    const servers = Array.from({ length: count }, (_, i) => perHost(opts.server, i) ?? 'openssh');
    const badServer = servers.find((x) => x !== 'openssh' && x !== 'dropbear');
    if (badServer !== undefined) throw new Error(`server must be "openssh" or "dropbear" (got "${badServer}")`);
    if (servers.includes('openssh') && !fs.existsSync(SSHD)) {
      throw new Error(`${SSHD} not found: install OpenSSH's server (apt-get install -y openssh-server) or set TEA_SSHD`);
    }
    if (servers.includes('dropbear')) checkDropbear();
    const dir = path.resolve(opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tea-hosts-')));
    fs.mkdirSync(dir, { recursive: true });
    const old = readState(dir);
    if (old && old.hosts.some((h) => runsHost(h))) {
      throw new Error(`hosts in ${dir} are still running: stop them first (node scripts/local-hosts.mjs stop --dir ${dir})`);
    }
    // Privilege separation dir: sshd refuses to start as root without it (not needed as a user).
    if (process.getuid?.() === 0) fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

    const self = os.userInfo().username;
    if (opts.user !== undefined && (opts.loginShell !== undefined || opts.rcOutput !== undefined)) {
      throw new Error('give either user or loginShell/rcOutput, not both');
    }
    const user = opts.user ?? loginUser(opts);
    const clientKeyPath = path.join(dir, 'client_ed25519');
    const clientPub = generateKey(clientKeyPath, 'tea-test-client');
    const wrongOn = new Set(opts.wrongKeyOn ?? []);
    const wrongPub = wrongOn.size > 0 ? generateKey(path.join(dir, 'wrong_ed25519'), 'tea-wrong-key') : '';

    /** @type {import('./sshd-core').ClusterState} */
    const state = { dir, user, clientKeyPath, knownHostsPath: path.join(dir, 'known_hosts'), watchdogPid: 0, hosts: [] };
    const cluster = new LocalSshdCluster(state);
    // The CLI leaves its hosts running after it exits; everyone else gets the exit hook.
    if (!opts.keepRunning) LocalSshdCluster.track(cluster);
    // Watchdog first and state saved after every host: a parent killed mid-start leaves
    // nothing behind either.
    if (opts.watchParent) cluster.startWatchdog(opts.watchParent);
    try {
      for (let i = 0; i < count; i++) {
        const hdir = path.join(dir, `h${i}`);
        fs.mkdirSync(hdir, { recursive: true, mode: 0o755 });
        const server = /** @type {'openssh' | 'dropbear'} */ (servers[i]);
        const dropbear = server === 'dropbear';
        const options = { ...(perHost(opts.sshdOptions, i) ?? {}) };
        if (dropbear && Object.keys(options).length > 0) throw new Error(`sshdOptions do not apply to dropbear (host ${i})`);
        const sftp = perHost(opts.sftp, i) ?? (dropbear ? 'external' : 'internal');
        if (!SFTP_MODES.includes(sftp)) throw new Error(`sftp must be one of ${SFTP_MODES.join(', ')} (got "${sftp}" for host ${i})`);
        if (dropbear && sftp === 'internal') throw new Error(`dropbear has no internal sftp: use external, none or stalled (host ${i})`);
        if (sftp === 'external' && !fs.existsSync(dropbear ? DROPBEAR_SFTP_SERVER : SFTP_SERVER)) {
          throw new Error(`${dropbear ? DROPBEAR_SFTP_SERVER : SFTP_SERVER} is missing: apt-get install -y openssh-sftp-server`);
        }
        const maxSessions = perHost(opts.maxSessions, i);
        if (maxSessions !== undefined) {
          if (dropbear) throw new Error(`maxSessions does not apply to dropbear (host ${i})`);
          if (!Number.isInteger(maxSessions) || maxSessions < 0) throw new Error(`maxSessions must be a non-negative integer (got ${maxSessions} for host ${i})`);
          options.MaxSessions = String(maxSessions);
        }
        const base = dropbear ? 'dropbear' : 'sshd';
        /** @type {import('./sshd-core').HostState} */
        const h = {
          index: i, name: `local${i}`, port: 0, dir: hdir, pid: 0, options, sftp, server,
          configPath: path.join(hdir, dropbear ? 'dropbear.args' : 'sshd_config'), logPath: path.join(hdir, `${base}.log`),
          pidPath: path.join(hdir, `${base}.pid`), hostKeyPath: path.join(hdir, dropbear ? 'dropbear_ed25519_host_key' : 'ssh_host_ed25519_key'),
          authorizedKeysPath: path.join(hdir, 'authorized_keys'), hostPublicKey: '',
        };
        h.hostPublicKey = dropbear ? generateDropbearKey(h.hostKeyPath) : generateKey(h.hostKeyPath, h.name);
        if (dropbear) prepareDropbearLogin(user);
        if (sftp === 'stalled') fs.writeFileSync(stalledServerPath(h), STALLED_SERVER, { mode: 0o755 });
        fs.writeFileSync(h.authorizedKeysPath, `${wrongOn.has(i) ? wrongPub : clientPub}\n`, { mode: 0o600 });
        // sshd reads authorized_keys as the login user: another user needs to reach it
        // (traverse-only dirs; the client's private key stays private).
        if (user !== self) {
          for (const d of [dir, hdir]) fs.chmodSync(d, 0o711);
          fs.chmodSync(h.authorizedKeysPath, 0o644);
        }
        fs.writeFileSync(h.logPath, '');
        state.hosts.push(h);
        await cluster.spawnOnFreePort(h);
        cluster.save();
      }
      cluster.writeKnownHosts();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Re-attaches to hosts started by another process (CLI `stop`). */
  static fromDir(/** @type {string} */ dir) {
    const state = readState(path.resolve(dir));
    if (!state) throw new Error(`no ${STATE_FILE} in ${dir}: nothing was started there`);
    return new LocalSshdCluster(state);
  }

  static track(/** @type {LocalSshdCluster} */ c) {
    live.add(c);
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    // Last resort for a process that exits without stop(): 'exit' handlers must be sync.
    process.on('exit', () => live.forEach((x) => x.killAllSync()));
  }

  /** JSON for the CLI and for state.json readers. */
  describe() {
    const { dir, user, clientKeyPath, knownHostsPath } = this.state;
    return {
      backend: 'local', dir, clientKeyPath, knownHostsPath, loginShell: loginShellOf(user),
      hosts: this.hosts.map((h) => ({
        name: h.name, host: '127.0.0.1', port: h.port, user, sshlogin: `${user}@127.0.0.1:${h.port}`,
        hostPublicKey: h.hostPublicKey, logPath: h.logPath, pid: h.pid, configPath: h.configPath,
        server: h.server ?? 'openssh', sftp: h.sftp ?? 'internal',
      })),
    };
  }

  host(/** @type {number} */ i) {
    const h = this.hosts[i];
    if (!h) throw new Error(`no host ${i}: this fixture has ${this.hosts.length}`);
    return h;
  }

  pause(/** @type {number} */ i) {
    const h = this.host(i);
    if (runsHost(h)) signalTree(h.pid, 'SIGSTOP');
  }

  resume(/** @type {number} */ i) {
    const h = this.host(i);
    if (runsHost(h)) signalTree(h.pid, 'SIGCONT');
  }

  /** SIGKILL the host's sshd and every session under it; the port refuses afterwards. */
  async kill(/** @type {number} */ i) {
    const h = this.host(i);
    if (runsHost(h)) await waitDead(signalTree(h.pid, 'SIGKILL'));
    h.pid = 0;
    this.save();
  }

  /** Kill (if running) and start again on the same port, optionally with a new host key. */
  async restart(/** @type {number} */ i, /** @type {{newHostKey?: boolean}} */ opts = {}) {
    const h = this.host(i);
    await this.kill(i);
    // known_hosts keeps the OLD key on purpose: a changed key must look like an attack.
    if (opts.newHostKey) h.hostPublicKey = h.server === 'dropbear' ? generateDropbearKey(h.hostKeyPath) : generateKey(h.hostKeyPath, h.name);
    let lastErr;
    for (let attempt = 0; attempt < 20; attempt++) {
      const res = await this.spawn(h);
      if (res.ok) return this.save();
      lastErr = res.error;
      if (!res.bindFailed) break;
      await sleep(100); // the port may be held for a moment by something else
    }
    throw new Error(`restart of ${h.name} on port ${h.port} failed: ${lastErr}`);
  }

  readLog(/** @type {number} */ i) {
    return fs.readFileSync(this.host(i).logPath, 'utf8');
  }

  /** Successful publickey logins since the fixture started (restarts append to the same log). */
  countConnections(/** @type {number} */ i) {
    return (this.readLog(i).match(LOGIN_LINE) ?? []).length;
  }

  /** Kills every host tree and the watchdog; waits until all are gone. */
  async stop() {
    const pids = this.killAllSync();
    live.delete(this);
    await waitDead(pids);
    this.hosts.forEach((h) => { h.pid = 0; });
    if (fs.existsSync(this.dir)) this.save();
  }

  killAllSync() {
    const pids = [];
    for (const h of this.hosts) {
      if (runsHost(h)) pids.push(...signalTree(h.pid, 'SIGKILL'));
    }
    const w = this.state.watchdogPid;
    // The watchdog exec's `local-hosts.mjs stop` under its own pid: never kill ourselves.
    if (w && w !== process.pid && isAlive(w)) {
      signal(-w, 'SIGKILL'); // its own process group: the shell and its `sleep`
      pids.push(w);
    }
    this.state.watchdogPid = 0;
    return pids;
  }

  // ---- internals ----

  save() {
    fs.writeFileSync(path.join(this.dir, STATE_FILE), JSON.stringify(this.state, null, 2));
  }

  writeKnownHosts() {
    const lines = this.hosts.map((h) => `[127.0.0.1]:${h.port} ${h.hostPublicKey}`);
    fs.writeFileSync(this.state.knownHostsPath, `${lines.join('\n')}\n`);
  }

  /** First start: a fresh free port per attempt, since another process may win the race for it. */
  async spawnOnFreePort(/** @type {import('./sshd-core').HostState} */ h) {
    const taken = new Set(this.hosts.map((x) => x.port));
    let lastErr = '';
    for (let attempt = 0; attempt < 10; attempt++) {
      let port = await freePort();
      while (taken.has(port)) port = await freePort();
      h.port = port;
      fs.writeFileSync(h.configPath, h.server === 'dropbear' ? `${dropbearCommand(h, this.state.user).join(' ')}\n` : sshdConfig(h, this.state.user));
      const res = await this.spawn(h);
      if (res.ok) return;
      lastErr = res.error;
      if (!res.bindFailed) break;
    }
    throw new Error(`could not start sshd for ${h.name}: ${lastErr}`);
  }

  /**
   * Starts sshd and waits for its "Server listening" line: it is logged right after
   * listen(), so the port accepts TCP from then on, and unlike a probe connection it
   * leaves no extra "Connection from" lines in the log that tests count.
   * @returns {Promise<{ok: true} | {ok: false, bindFailed: boolean, error: string}>}
   */
  async spawn(/** @type {import('./sshd-core').HostState} */ h) {
    const offset = fs.statSync(h.logPath).size;
    const logFd = fs.openSync(h.logPath, 'a');
    const dropbear = h.server === 'dropbear';
    const [file, ...args] = dropbear ? dropbearCommand(h, this.state.user) : [SSHD, '-D', '-e', '-f', h.configPath];
    const child = spawn(/** @type {string} */ (file), args, { detached: true, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    child.unref();
    /** @type {Error | undefined} */
    let spawnErr;
    child.on('error', (e) => { spawnErr = e; });
    const want = `Server listening on 127.0.0.1 port ${h.port}.`;
    const end = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      await sleep(15);
      const log = readFrom(h.logPath, offset);
      if (spawnErr) return { ok: false, bindFailed: false, error: String(spawnErr) };
      // dropbear logs nothing when it listens: the kernel's socket table tells (no probe
      // connection, which would add log lines).
      const ready = dropbear ? child.exitCode === null && isListening(h.port) : log.includes(want);
      if (ready && child.pid) {
        h.pid = child.pid;
        return { ok: true };
      }
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > end) {
        if (child.pid) signal(child.pid, 'SIGKILL');
        const tail = log.trim().split('\n').slice(-5).join(' | ');
        const bindFailed = /Bind to port|Address already in use|Cannot bind any address|Failed listening/.test(log);
        return { ok: false, bindFailed, error: tail || `${dropbear ? 'dropbear' : 'sshd'} exited (${child.exitCode ?? child.signalCode}) or timed out` };
      }
    }
  }

  /**
   * A detached shell that stops the hosts through the CLI once `parentPid` is gone: the
   * only cleanup that survives a jest worker being SIGKILLed (no 'exit' hook runs then).
   */
  startWatchdog(/** @type {number} */ parentPid) {
    // --rm keeps /tmp tidy after crashes; TEA_KEEP_HOSTS=1 keeps the logs for a post-mortem.
    const rm = process.env.TEA_KEEP_HOSTS === '1' ? '' : '--rm';
    const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" "$3" stop --dir "$4" $5 >/dev/null 2>&1';
    const args = ['-c', script, 'tea-hosts-watchdog', String(parentPid), process.execPath, CLI_PATH, this.dir, rm];
    const child = spawn('/bin/sh', args, {
      detached: true, stdio: 'ignore',
    });
    child.unref();
    this.state.watchdogPid = child.pid ?? 0;
  }
}

/** @returns {import('./sshd-core').ClusterState | undefined} */
function readState(/** @type {string} */ dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

function readFrom(/** @type {string} */ file, /** @type {number} */ offset) {
  const buf = fs.readFileSync(file);
  return buf.subarray(offset).toString('utf8');
}

module.exports = { LocalSshdCluster, processTree, isAlive, freePort, LOGIN_LINE };
