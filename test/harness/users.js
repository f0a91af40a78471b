// @ts-check
'use strict';
/**
 * Local accounts the test hosts log in (and the "attacker" that shares the machine),
 * created as root, idempotently, by any number of test processes at once.
 *
 * Several engineers' jest workers run on this machine together: useradd/usermod take
 * /etc/passwd and /etc/shadow locks and fail ("cannot lock /etc/passwd") when two run at
 * once, so every account change happens under one flock. Account names are derived from
 * what they are (shell + rc output), so two processes asking for the same account want
 * the same content, and rc files are written by atomic rename: a reader never sees half.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** Login shells the harness offers, all from Debian packages (fish, tcsh, zsh, dash, busybox, bash). */
const SHELLS = Object.freeze({
  sh: '/bin/sh',
  bash: '/bin/bash',
  dash: '/usr/bin/dash',
  zsh: '/usr/bin/zsh',
  fish: '/usr/bin/fish',
  tcsh: '/usr/bin/tcsh',
  // BusyBox picks the applet from argv[0]'s basename: a link named `ash` is its ash (a link
  // named "busybox-ash" would be taken as `busybox` itself and fail). As on real BusyBox
  // devices, $SHELL's basename is `ash`.
  'busybox-ash': '/usr/local/lib/tea-test/bin/ash',
});

/**
 * Login shells that cannot run anything (issue 14: the preflight must exclude such a host with
 * the shell named, without a hang or a retry storm). Kept apart from SHELLS, whose every entry
 * runs the bootstrap, and never added to /etc/shells (that list means "a real shell").
 */
const NOLOGIN_SHELLS = Object.freeze({
  nologin: '/usr/sbin/nologin',
  false: '/bin/false',
});

/**
 * The rc file each shell reads for a NON-interactive `shell -c "<line>"` (what sshd runs
 * for exec and for an external subsystem). dash and ash read none: their rc output only
 * shows in interactive logins (~/.profile), never in an exec.
 * Debian's bash is built to source ~/.bashrc when started by sshd (SSH_SOURCE_BASHRC).
 */
const RC_FILES = Object.freeze({
  sh: '.profile',
  dash: '.profile',
  'busybox-ash': '.profile',
  bash: '.bashrc',
  zsh: '.zshenv',
  fish: '.config/fish/config.fish',
  tcsh: '.tcshrc',
});

/** Shells whose exec sessions read the rc file (so rcOutput lands before a command's output). */
const RC_READ_BY_EXEC = Object.freeze(new Set(['bash', 'zsh', 'fish', 'tcsh']));

const DEFAULT_USER = 'tea-test';
const ATTACKER_USER = 'tea-attacker';
const LOCK_DIR = fs.existsSync('/run/lock') ? '/run/lock' : os.tmpdir();
const LOCK_FILE = path.join(LOCK_DIR, 'tea-test-users.lock');
const LOCK_WAIT_S = '120';
/** Skeleton for new homes: empty, so an account has exactly the rc files asked for. */
const EMPTY_SKEL = '/usr/local/lib/tea-test/skel';
/** What each chatty account's rc file prints (root-owned, world-readable). */
const RC_TEXT_DIR = '/usr/local/lib/tea-test/rc-output';

function isRoot() {
  return process.getuid?.() === 0;
}

/** @param {string} name */
function checkShellName(name) {
  if (!Object.prototype.hasOwnProperty.call(SHELLS, name) && !Object.prototype.hasOwnProperty.call(NOLOGIN_SHELLS, name)) {
    throw new Error(`loginShell must be one of ${[...Object.keys(SHELLS), ...Object.keys(NOLOGIN_SHELLS)].join(', ')} (got "${name}")`);
  }
  return /** @type {keyof typeof SHELLS | keyof typeof NOLOGIN_SHELLS} */ (name);
}

/**
 * Runs `script` (POSIX sh, positional args) under the accounts lock.
 * @param {string} script
 * @param {string[]} args
 */
function underLock(script, args) {
  execFileSync('flock', ['-w', LOCK_WAIT_S, LOCK_FILE, '/bin/sh', '-euc', script, 'tea-users', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Creates the account when missing (system account, empty skeleton, given shell), unlocks it
 * for key-only login without PAM (useradd leaves "!"), and lists the shell in /etc/shells.
 * Idempotent; an existing account's shell is set to the one asked for.
 */
const ENSURE_ACCOUNT = `
name=$1; shell=$2; skel=$3; listed=\${4:-yes}
[ "$listed" = no ] || grep -qxF "$shell" /etc/shells || echo "$shell" >>/etc/shells
if ! id -u "$name" >/dev/null 2>&1; then
  mkdir -p "$skel"
  useradd --system --create-home --skel "$skel" --shell "$shell" "$name"
fi
[ "$(getent passwd "$name" | cut -d: -f7)" = "$shell" ] || usermod --shell "$shell" "$name"
case "$(getent shadow "$name" | cut -d: -f2)" in
  '!'*|'') usermod -p '*' "$name" ;;
esac
`;

/** The busybox `ash` link (see SHELLS). */
function ensureBusyboxAsh() {
  const link = SHELLS['busybox-ash'];
  if (fs.existsSync(link)) return;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!busybox) throw new Error('busybox is not installed: apt-get install -y busybox');
  fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o755 });
  const tmp = `${link}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.symlinkSync(busybox, tmp);
  fs.renameSync(tmp, link); // atomic: a concurrent creator's link is the same
}

/** Writes `content` to `file` (owned by uid:gid, mode) unless it already holds exactly that. */
function writeOwned(/** @type {string} */ file, /** @type {string} */ content, /** @type {number} */ uid, /** @type {number} */ gid, mode = 0o644) {
  try {
    if (fs.readFileSync(file, 'utf8') === content) return;
  } catch {
    /* absent: write it */
  }
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chownSync(tmp, uid, gid);
  fs.renameSync(tmp, file);
}

/** mkdir -p below `home`, each new level owned by the user. */
function mkdirOwned(/** @type {string} */ home, /** @type {string} */ rel, /** @type {number} */ uid, /** @type {number} */ gid) {
  let dir = home;
  for (const part of rel.split('/').filter(Boolean)) {
    dir = path.join(dir, part);
    try {
      fs.mkdirSync(dir, { mode: 0o755 });
      fs.chownSync(dir, uid, gid);
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'EEXIST') throw e;
    }
  }
}

/** @returns {{ name: string, uid: number, gid: number, home: string, shell: string }} */
function accountInfo(/** @type {string} */ name) {
  const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  const f = line.split(':');
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '', shell: f[6] ?? '' };
}

/**
 * The account for a login shell and rc output:
 *   - `sh` without rc output: `tea-test` (the harness's long-standing default user);
 *   - otherwise `tea-<shell>` (quiet) or `tea-<shell>-<hash>` (its rc file prints rcOutput).
 * The rc file prints rcOutput to stdout with `cat` of a file beside it, so any bytes (quotes,
 * newlines, text that looks like a protocol frame) reach the client unchanged in every shell.
 * @param {{ loginShell?: string, rcOutput?: string }} opts
 * @returns {{ name: string, uid: number, gid: number, home: string, shell: string, rcFile?: string }}
 */
function ensureLoginUser(opts = {}) {
  if (!isRoot()) throw new Error('creating login users needs root (the harness runs as root in CI)');
  const shellName = checkShellName(opts.loginShell ?? 'sh');
  const rc = opts.rcOutput;
  if (rc !== undefined && rc.length === 0) throw new Error('rcOutput must not be empty (omit it for a quiet user)');
  const hash = rc === undefined ? '' : crypto.createHash('sha256').update(rc).digest('hex').slice(0, 8);
  const name = shellName === 'sh' && !rc ? DEFAULT_USER : `tea-${shellName}${hash ? `-${hash}` : ''}`;
  if (shellName === 'busybox-ash') ensureBusyboxAsh();
  const nologin = Object.prototype.hasOwnProperty.call(NOLOGIN_SHELLS, shellName);
  if (nologin && rc !== undefined) throw new Error(`a ${shellName} account reads no rc file: omit rcOutput`);
  const shell = nologin ? NOLOGIN_SHELLS[/** @type {keyof typeof NOLOGIN_SHELLS} */ (shellName)] : SHELLS[/** @type {keyof typeof SHELLS} */ (shellName)];
  if (!fs.existsSync(shell)) throw new Error(`${shell} is missing: apt-get install -y ${shellName === 'busybox-ash' ? 'busybox' : shellName}`);
  underLock(ENSURE_ACCOUNT, [name, shell, EMPTY_SKEL, nologin ? 'no' : 'yes']);
  const info = accountInfo(name);
  if (rc === undefined) return info;
  const rel = RC_FILES[/** @type {keyof typeof SHELLS} */ (shellName)];
  // The text lives outside the home, so the home holds exactly the rc file a real user has.
  fs.mkdirSync(RC_TEXT_DIR, { recursive: true, mode: 0o755 });
  const outFile = path.join(RC_TEXT_DIR, `${name}.txt`);
  writeOwned(outFile, rc, 0, 0);
  mkdirOwned(info.home, path.dirname(rel), info.uid, info.gid);
  // `cat FILE` reads the same in every one of these shells (plain word, absolute path).
  writeOwned(path.join(info.home, rel), `# written by test/harness/users.js: a chatty rc file\ncat ${outFile}\n`, info.uid, info.gid);
  return { ...info, rcFile: path.join(info.home, rel) };
}

/** The second local account for attacks on shared paths (issue 14): quiet /bin/sh user. */
function ensureAttacker() {
  if (!isRoot()) throw new Error('creating the attacker user needs root');
  underLock(ENSURE_ACCOUNT, [ATTACKER_USER, '/bin/sh', EMPTY_SKEL]);
  return accountInfo(ATTACKER_USER);
}

module.exports = { SHELLS, NOLOGIN_SHELLS, RC_FILES, RC_READ_BY_EXEC, DEFAULT_USER, ATTACKER_USER, ensureLoginUser, ensureAttacker, accountInfo, isRoot };
