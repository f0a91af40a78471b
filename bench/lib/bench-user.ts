import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

export const DEFAULT_BENCH_USER = 'tea-bench';

export interface LoginUser {
  name: string;
  shell: string;
  created: boolean;
}

function passwdEntry(name: string): string[] | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  return line?.split(':');
}

/**
 * The user the hosts log in. Every exec runs through that user's login shell, so a
 * shell whose rc files do work (root's ~/.bashrc here runs `pyenv init`: 30-300 ms
 * per exec) would be measured as transport overhead. As root the benchmark therefore
 * logs in a dedicated user with /bin/sh and an empty home, created when missing.
 */
export function ensureLoginUser(requested: string | undefined): LoginUser {
  const self = userInfo().username;
  const isRoot = process.getuid?.() === 0;
  const name = requested ?? (isRoot ? DEFAULT_BENCH_USER : self);
  let entry = passwdEntry(name);
  let created = false;
  if (entry === undefined) {
    if (!isRoot) throw new Error(`user ${name} does not exist and only root can create it; run as root or pass --user ${self}`);
    const home = `/home/${name}`;
    // -M and our own empty home: no /etc/skel rc files. A '*' password: not locked
    // (sshd without PAM refuses locked accounts) yet no password login either.
    execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/sh', name], { stdio: 'pipe' });
    execFileSync('usermod', ['-p', '*', name], { stdio: 'pipe' });
    if (!existsSync(home)) mkdirSync(home, { recursive: true, mode: 0o700 });
    execFileSync('chown', [`${name}:`, home], { stdio: 'pipe' });
    created = true;
    entry = passwdEntry(name);
  }
  if (name !== self && !isRoot) throw new Error(`logging in as ${name} needs root (sshd must switch to it); pass --user ${self}`);
  return { name, shell: entry?.[6] ?? 'unknown', created };
}
