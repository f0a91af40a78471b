import { TeaError } from '../../errors';
import type { TrustFinding } from './host-probe';
import { isNoSuchFile, type SftpOps } from '../ssh/sftp-ops';

/**
 * The workdir trust rule (OpenSSH StrictModes, docs/security.md): tea writes and runs
 * files under the workdir only when nobody but the login user (and root) can change what
 * its path leads to. Every component from the login directory (relative workdir) or `/`
 * down, the workdir itself, `.cache` and the run directory must be a real directory (not
 * a symlink), owned by the login user or root, not writable by group or others. Above the
 * workdir, a root-owned sticky directory (`/tmp`) is accepted: others may create entries
 * there but cannot rename or remove ours.
 */
export type TrustRole = TrustFinding['role'] | 'run';

/** What a transfer needs to check directories as it makes them. */
export interface TrustCheck {
  loginUid: number;
  /** For messages. */
  host: string;
  workdir: string;
  /** The role of the index-th name (a root-owned sticky directory is fine only as 'anc'). */
  roleOf: (index: number) => TrustRole;
}

/** The error for a component found untrusted while staging, or null when it passes. */
export function untrustedError(check: TrustCheck, index: number, path: string, mode: string, uid: number): TeaError | null {
  const found = { role: check.roleOf(index), mode, uid, owner: '', path };
  const problem = trustProblem(found, check.loginUid);
  if (problem === null) return null;
  return new TeaError('E_HOST_UNUSABLE', `${check.host}: unusable: workdir ${check.workdir} is not safe: ${path} ${problem}; ${fix(found, check.loginUid)}`, { host: check.host });
}

/** Why one component fails the rule, or null when it passes. */
export function trustProblem(f: { role: TrustRole; mode: string; uid: number; owner: string }, loginUid: number): string | null {
  const owner = f.owner === '' || f.owner === String(f.uid) ? `uid ${f.uid}` : `${f.owner} (uid ${f.uid})`;
  if (f.mode === '') return 'cannot be inspected (ls -ldn printed nothing: is ls on the PATH, is the directory above searchable?)';
  if (f.mode.startsWith('l')) return `is a symbolic link (owned by ${owner}): tea follows no symlink in its workdir`;
  if (!f.mode.startsWith('d')) return `is not a directory (mode ${f.mode}, owned by ${owner})`;
  if (f.uid !== loginUid && f.uid !== 0) return `is owned by ${owner}, mode ${f.mode}: only the login user or root may own it`;
  const groupOrOtherWrite = f.mode[5] === 'w' || f.mode[8] === 'w';
  const rootSticky = f.role === 'anc' && f.uid === 0 && /^.{9}[tT]/.test(f.mode);
  if (groupOrOtherWrite && !rootSticky) return `is writable by group or others (mode ${f.mode}, owned by ${owner})`;
  return null;
}

/** What to do about a failed component. */
function fix(f: { mode: string; uid: number; path: string }, loginUid: number): string {
  if (f.mode.startsWith('l') || (f.uid !== loginUid && f.uid !== 0)) {
    return `another user may have put it there to get their files run as you: remove it (as root if needed) or set workdir to a directory only you can write (the default .cache/tea-remote is under your home)`;
  }
  if (!f.mode.startsWith('d')) return 'remove it or choose another workdir';
  return `run "chmod go-w ${f.path}" on the host, or choose a workdir only you can write (the default .cache/tea-remote is under your home)`;
}

/** The preflight's one-line verdict on the probe's findings (empty findings: trusted). */
export function describeUntrusted(workdir: string, findings: readonly TrustFinding[], loginUid: number, user: string): string | null {
  const parts = findings.map((f) => {
    const problem = trustProblem(f, loginUid) ?? `failed the check (mode ${f.mode}, owner ${f.owner})`;
    return `${f.path} ${problem}; ${fix(f, loginUid)}`;
  });
  if (parts.length === 0) return null;
  return `workdir ${workdir} is not safe for ${user || `uid ${loginUid}`}: ${parts.join('; ')}`;
}

/** `ls -l`-style mode string of an SFTP mode (type bits included). */
export function modeString(mode: number): string {
  const type = (mode & 0o170000) === 0o040000 ? 'd' : (mode & 0o170000) === 0o120000 ? 'l' : (mode & 0o170000) === 0o100000 ? '-' : '?';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((mode >> (8 - i)) & 1 ? c : '-'));
  if (mode & 0o1000) bits[8] = bits[8] === 'x' ? 't' : 'T';
  return type + bits.join('');
}

/**
 * Creates `base/names[0]/names[1]/...` (mode 0700) one component at a time over SFTP,
 * checking with lstat every component that already existed: what tea created is its own,
 * what it found must pass the rule. This closes the race the preflight cannot (someone
 * creating a component in a sticky /tmp between the probe and now) and covers components
 * the probe saw missing. `base` must be trusted already ('' stands for `/`, '.' for the
 * login directory). Returns the path made.
 */
export async function ensureTrustedDirs(ops: SftpOps, base: string, names: readonly string[], options: TrustCheck): Promise<string> {
  let current = base;
  for (const [index, name] of names.entries()) {
    current = current === '' ? `/${name}` : `${current}/${name}`;
    try {
      await ops.mkdir(current, 0o700);
      continue; // a fresh directory: ours, 0700 (the umask can only narrow it)
    } catch (error) {
      // EEXIST (or a permission error on a root-owned ancestor): look at what is there.
      const stats = await ops.lstat(current).catch((e: unknown) => (isNoSuchFile(e) ? null : Promise.reject(e)));
      if (stats === null) throw error;
      const refused = untrustedError(options, index, current, modeString(stats.mode), stats.uid);
      if (refused !== null) throw refused;
    }
  }
  return current;
}
