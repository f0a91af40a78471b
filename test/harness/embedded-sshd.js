// @ts-check
'use strict';
/**
 * An SSH host written on ssh2's own `Server`, for machines without OpenSSH's sshd: the
 * demo's hosts (`npm run demo` with no sshd) and executor tests where OpenSSH behaviour is
 * not the point. A demo and test aid, NOT a production sshd: loopback only, one login user
 * (the current one), a throwaway host key and client key, public-key login only.
 *
 * What it serves, following OpenSSH's sshd so that clients see the same SSH semantics:
 * - `exec`: the command runs through the user's login shell (`$SHELL -c`, cmd.exe on
 *   Windows; `shell` replaces it, as a test user with another login shell would) in the home directory, as the leader of its own session and process group,
 *   with stdin/stdout/stderr on the channel; `exit-status` (or `exit-signal`) when it
 *   ends, EOF and close once its stdout and stderr are drained. The client's EOF or
 *   channel close ends the command's stdin; a closed channel also closes its output pipes
 *   (it gets EPIPE/SIGPIPE), but, as with sshd, the process is not killed.
 * - `shell` (no pty: the shell reads commands from stdin); `pty-req` is refused.
 * - `signal`: delivered to the command's process group, as sshd (>= 7.9) does.
 * - `env`: refused unless the name matches `acceptEnv` (sshd's AcceptEnv, none by default).
 * - `subsystem sftp`: SFTP v3 served by Node (embedded-sftp.js).
 * - at most `maxSessions` (default 10, sshd's MaxSessions) session channels per connection.
 * The command's environment is fresh, as sshd builds it (HOME, USER, LOGNAME, SHELL, PATH,
 * SSH_CLIENT, SSH_CONNECTION, plus accepted env requests), except that PATH starts with the
 * directory of the Node running this server, so `node` is found as on a host with Node.
 *
 * Plain CommonJS like sshd-core.js: scripts/demo.mjs loads it with bare `node`. Types in
 * embedded-sshd.d.ts.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { Server, utils } = require('ssh2');
const { serveSftp } = require('./embedded-sftp');

const IS_WINDOWS = process.platform === 'win32';

/**
 * ssh2's own key generator: no ssh-keygen needed. About 1 key in 600 that it writes is one its own
 * parser then rejects ("Malformed OpenSSH private key"), so a key is kept only once it parses.
 */
function generateKey(/** @type {string} */ comment) {
  for (let tries = 0; tries < 20; tries += 1) {
    const k = utils.generateKeyPairSync('ed25519', { comment });
    if (!(utils.parseKey(k.private) instanceof Error) && !(utils.parseKey(k.public) instanceof Error)) {
      return { privateKey: k.private, publicKey: k.public.split(/\s+/).slice(0, 2).join(' ') };
    }
  }
  throw new Error('ssh2 generated 20 ed25519 keys in a row that it cannot parse back');
}

/** sshd's AcceptEnv patterns: `*` and `?` wildcards. */
function matchesAny(/** @type {string} */ name, /** @type {string[]} */ patterns) {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name));
}

function fingerprint(/** @type {Buffer} */ blob) {
  return `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The login shell and the argv that runs `command` through it (no command: an
 * interactive-less shell reading stdin).
 * @returns {[string, string[], import('node:child_process').SpawnOptions]}
 */
function shellArgv(/** @type {string | undefined} */ command, /** @type {string | undefined} */ loginShell) {
  if (IS_WINDOWS) {
    const cmd = process.env.ComSpec || 'cmd.exe';
    return [cmd, command === undefined ? [] : ['/d', '/s', '/c', `"${command}"`], { windowsVerbatimArguments: true }];
  }
  const shell = loginShell || os.userInfo().shell || '/bin/sh';
  return [shell, command === undefined ? [] : ['-c', command], {}];
}

function freshEnv(/** @type {{remoteAddress?: string, remotePort?: number, localPort: number}} */ conn, /** @type {string | undefined} */ loginShell) {
  const me = os.userInfo();
  const nodeDir = path.dirname(process.execPath);
  if (IS_WINDOWS) return { ...process.env, PATH: `${nodeDir};${process.env.PATH ?? ''}` };
  const sshClient = `${conn.remoteAddress ?? '127.0.0.1'} ${conn.remotePort ?? 0} ${conn.localPort}`;
  return {
    HOME: me.homedir, USER: me.username, LOGNAME: me.username, SHELL: loginShell || me.shell || '/bin/sh',
    PATH: `${nodeDir}:${process.env.PATH || '/usr/local/bin:/usr/bin:/bin'}`,
    SSH_CLIENT: sshClient,
    SSH_CONNECTION: `${conn.remoteAddress ?? '127.0.0.1'} ${conn.remotePort ?? 0} 127.0.0.1 ${conn.localPort}`,
  };
}

/**
 * One embedded host.
 * @param {import('./embedded-sshd').EmbeddedHostOptions} opts
 * @returns {Promise<import('./embedded-sshd').EmbeddedHost>}
 */
async function startEmbeddedHost(opts) {
  const user = os.userInfo().username;
  const home = os.homedir();
  const acceptEnv = opts.acceptEnv ?? [];
  const maxSessions = opts.maxSessions ?? 10;
  const authorized = opts.authorizedKeys.map((k) => {
    const parsed = utils.parseKey(k);
    if (parsed instanceof Error) throw new Error(`authorizedKeys: ${parsed.message}`);
    return parsed;
  });
  const lines = /** @type {string[]} */ ([]);
  const log = (/** @type {string} */ line) => {
    lines.push(line);
    if (!opts.logPath) return;
    try {
      fs.appendFileSync(opts.logPath, `${line}\n`);
    } catch { /* the log's directory was removed: the in-memory lines remain */ }
  };
  /** @type {Set<import('node:child_process').ChildProcess>} */
  const children = new Set();
  /** @type {Set<import('ssh2').Connection>} */
  const connections = new Set();
  let logins = 0;
  let port = 0;

  const server = new Server({ hostKeys: [opts.hostKey], ident: 'tea_embedded_sshd' }, (client, info) => {
    connections.add(client);
    // As for the client (docs: field notes): without it every small reply waits ~40 ms.
    client.setNoDelay(true);
    const peer = `${info.ip} port ${info.port}`;
    log(`Connection from ${peer} on 127.0.0.1 port ${port}`);
    client.on('error', (err) => log(`connection ${peer}: ${err.message}`));
    client.on('close', () => { connections.delete(client); log(`Disconnected from ${peer}`); });
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== user) return ctx.reject(['publickey']);
      const key = authorized.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      if (ctx.signature) {
        if (key.verify(/** @type {Buffer} */ (ctx.blob), ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
        logins++;
        log(`Accepted publickey for ${user} from ${peer} ssh2: ${ctx.key.algo} ${fingerprint(ctx.key.data)}`);
      }
      ctx.accept();
    });
    let sessions = 0;
    // A misbehaving server (tests of the client's deadlines): it never sends CHANNEL_CLOSE,
    // while keepalives and everything else are still answered.
    if (opts.stall === 'close') client._protocol.channelClose = () => {};
    client.on('ready', () => {
      client.on('session', (acceptSession, rejectSession) => {
        if (opts.stall === 'session') return; // neither confirmed nor refused
        if (sessions >= maxSessions) return rejectSession();
        sessions++;
        const session = acceptSession();
        session.once('close', () => { sessions--; });
        serveSession(session, { remoteAddress: info.ip, remotePort: info.port, localPort: port });
      });
    });
  });

  /**
   * One session channel: env requests, then one of exec / shell / subsystem.
   * @param {import('ssh2').Session} session
   * @param {{remoteAddress: string, remotePort: number, localPort: number}} conn
   */
  function serveSession(session, conn) {
    const env = /** @type {Record<string, string>} */ (freshEnv(conn, opts.shell));
    /** @type {import('node:child_process').ChildProcess | undefined} */
    let child;
    session.on('env', (accept, reject, { key, val }) => {
      if (!matchesAny(key, acceptEnv)) {
        log(`Ignoring env request ${key}: disallowed name`);
        return reject?.();
      }
      env[key] = val;
      accept?.();
    });
    session.on('pty', (_accept, reject) => reject?.());
    session.on('signal', (accept, _reject, { name }) => {
      accept?.();
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
      try {
        // The session is its own process group (detached), as sshd's setsid() makes it.
        if (IS_WINDOWS) child.kill(/** @type {NodeJS.Signals} */ (`SIG${name}`));
        else process.kill(-child.pid, /** @type {NodeJS.Signals} */ (`SIG${name}`));
      } catch (err) {
        log(`signal ${name}: ${/** @type {Error} */ (err).message}`);
      }
    });
    session.on('exec', (accept, _reject, { command }) => {
      if (opts.stall === 'exec') return; // the exec request is never answered
      // Accepted, never read: once the client has filled the channel's window, it never opens again.
      if (opts.stall === 'window') { accept(); return; }
      child = run(accept(), command, env);
    });
    session.on('shell', (accept) => { child = run(accept(), undefined, env); });
    session.on('subsystem', (accept, reject, { name }) => {
      if (name !== 'sftp') return reject?.();
      serveSftp(accept(), { home, log });
    });
  }

  /**
   * @param {import('ssh2').ServerChannel} stream
   * @param {string | undefined} command
   * @param {Record<string, string>} env
   */
  function run(stream, command, env) {
    const [file, args, extra] = shellArgv(command, opts.shell);
    const child = spawn(file, args, { cwd: home, env, detached: !IS_WINDOWS, stdio: 'pipe', windowsHide: true, ...extra });
    children.add(child);
    child.stdin.on('error', () => { /* the command exited without reading its stdin */ });
    stream.pipe(child.stdin);
    child.stdout.pipe(stream, { end: false });
    child.stderr.pipe(stream.stderr, { end: false });
    child.on('error', (err) => {
      // Spawn failed (no shell): sshd's child would exit 127 after printing why.
      stream.stderr.write(`${err.message}\n`);
      stream.exit(127);
      stream.end();
      children.delete(child);
    });
    // sshd reports the status when it reaps the command; the channel closes once the
    // output pipes are drained (a background process holding them keeps it open).
    child.on('exit', (code, sig) => {
      if (sig) stream.exit(sig.replace(/^SIG/, ''), false, '');
      else stream.exit(code ?? 255);
    });
    child.on('close', () => {
      children.delete(child);
      stream.end();
    });
    stream.on('close', () => {
      child.stdin.destroy();
      child.stdout.destroy();
      child.stderr.destroy();
    });
    return child;
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(undefined);
    });
  });
  port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  log(`Server listening on 127.0.0.1 port ${port}.`);

  return {
    port,
    user,
    logins: () => logins,
    log: () => lines.join('\n'),
    async stop() {
      await new Promise((resolve) => {
        // Bounded: a peer that never answers our close must not hold stop() up.
        const timer = setTimeout(resolve, 2000);
        server.close(() => { clearTimeout(timer); resolve(undefined); });
        for (const c of connections) c.end();
        // Nothing outlives the host: sessions still running are ended with their group.
        for (const ch of children) {
          try {
            if (IS_WINDOWS || !ch.pid) ch.kill('SIGKILL');
            else process.kill(-ch.pid, 'SIGKILL');
          } catch { /* already gone */ }
        }
      });
    },
  };
}

/**
 * N embedded hosts sharing one client key, with a known_hosts file for them: the same
 * description shape as LocalSshdCluster (sshd-core.js), `backend: 'embedded'`.
 */
class EmbeddedSshCluster {
  /**
   * @param {string} dir
   * @param {string} clientKeyPath
   * @param {string} knownHostsPath
   * @param {Array<{name: string, hostPublicKey: string, logPath: string, host: import('./embedded-sshd').EmbeddedHost}>} hosts
   */
  constructor(dir, clientKeyPath, knownHostsPath, hosts) {
    this.dir = dir;
    this.clientKeyPath = clientKeyPath;
    this.knownHostsPath = knownHostsPath;
    this.hosts = hosts;
  }

  /** @param {import('./embedded-sshd').EmbeddedClusterOptions} opts */
  static async start(opts) {
    const count = opts.count;
    if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer (got ${count})`);
    const dir = path.resolve(opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tea-embedded-')));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const client = generateKey('tea-embedded-client');
    const clientKeyPath = path.join(dir, 'client_ed25519');
    fs.writeFileSync(clientKeyPath, client.privateKey, { mode: 0o600 });
    const cluster = new EmbeddedSshCluster(dir, clientKeyPath, path.join(dir, 'known_hosts'), []);
    try {
      for (let i = 0; i < count; i++) {
        const name = `embedded${i}`;
        const hostKey = generateKey(name);
        const logPath = path.join(dir, `${name}.log`);
        fs.writeFileSync(logPath, '');
        const host = await startEmbeddedHost({
          hostKey: hostKey.privateKey, authorizedKeys: [client.publicKey], logPath,
          ...(opts.acceptEnv ? { acceptEnv: opts.acceptEnv } : {}),
          ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}),
          ...(opts.shell ? { shell: opts.shell } : {}),
          ...(opts.stall ? { stall: opts.stall } : {}),
        });
        cluster.hosts.push({ name, hostPublicKey: hostKey.publicKey, logPath, host });
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    fs.writeFileSync(cluster.knownHostsPath, cluster.hosts.map((h) => `[127.0.0.1]:${h.host.port} ${h.hostPublicKey}\n`).join(''));
    return cluster;
  }

  describe() {
    return {
      backend: /** @type {const} */ ('embedded'), dir: this.dir, clientKeyPath: this.clientKeyPath, knownHostsPath: this.knownHostsPath,
      hosts: this.hosts.map((h) => ({
        name: h.name, host: '127.0.0.1', port: h.host.port, user: h.host.user,
        sshlogin: `${h.host.user}@127.0.0.1:${h.host.port}`, hostPublicKey: h.hostPublicKey, logPath: h.logPath,
      })),
    };
  }

  /** Successful public-key logins on host i since it started. */
  countConnections(/** @type {number} */ i) {
    const h = this.hosts[i];
    if (!h) throw new Error(`no host ${i}: this cluster has ${this.hosts.length}`);
    return h.host.logins();
  }

  readLog(/** @type {number} */ i) {
    const h = this.hosts[i];
    if (!h) throw new Error(`no host ${i}: this cluster has ${this.hosts.length}`);
    return h.host.log();
  }

  /** Stops every host (and what still runs under it); `rm` also deletes the keys and logs. */
  async stop(/** @type {{rm?: boolean}} */ o = {}) {
    await Promise.all(this.hosts.map((h) => h.host.stop()));
    if (o.rm) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { startEmbeddedHost, EmbeddedSshCluster, generateKey };
