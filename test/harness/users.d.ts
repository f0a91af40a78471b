// Types for users.js (plain CommonJS, shared with sshd-core.js and scripts/local-hosts.mjs).

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Login shell as in /etc/passwd. */
  shell: string;
}

export declare const SHELLS: Readonly<{
  sh: string;
  bash: string;
  dash: string;
  zsh: string;
  fish: string;
  tcsh: string;
  'busybox-ash': string;
}>;
/** Login shells that run nothing (nologin, false): for the preflight's "cannot run the bootstrap" case. */
export declare const NOLOGIN_SHELLS: Readonly<{ nologin: string; false: string }>;
/** The rc file (relative to the home) each shell's account gets when it has rc output. */
export declare const RC_FILES: Readonly<Record<keyof typeof SHELLS, string>>;
/** Shells whose non-interactive `-c` sessions (sshd exec) read that rc file. */
export declare const RC_READ_BY_EXEC: ReadonlySet<string>;
export declare const DEFAULT_USER: string;
export declare const ATTACKER_USER: string;
export declare function ensureLoginUser(opts?: { loginShell?: string; rcOutput?: string }): Account & { rcFile?: string };
export declare function ensureAttacker(): Account;
export declare function accountInfo(name: string): Account;
export declare function isRoot(): boolean;
