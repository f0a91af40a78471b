import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import path, { join } from 'node:path';
import { parseParallelConfig } from '../../../../src/config/parallel';
import { TeaError } from '../../../../src/errors';
import { resolveHosts } from '../../../../src/remote/trust/hosts';

const dir = mkdtempSync(join(tmpdir(), 'tea-hosts-'));
let n = 0;
/** A fresh ed25519 key; encrypted when a passphrase is given. */
function key(passphrase = ''): string {
  const path = join(dir, `id${(n += 1)}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', path]);
  return path;
}
function sshConfig(text: string): string {
  const path = join(dir, `config${(n += 1)}`);
  writeFileSync(path, text);
  return path;
}
const remote = (raw: Record<string, unknown>) => parseParallelConfig({ strategy: 'remote', remote: raw }).remote!;
const resolve = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, warn?: (m: string) => void) =>
  resolveHosts(remote({ ssh_config: false, ...raw }), { env, ...(warn ? { warn } : {}) });

function thrown(fn: () => unknown): TeaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TeaError);
    return error as TeaError;
  }
  throw new Error('expected an error');
}

describe('resolveHosts: YAML, then ssh_config, then defaults', () => {
  it('resolves an ssh_config alias: HostName to connect to, the alias as the display id', () => {
    const id = key();
    const cfg = sshConfig(`Host build\n  HostName 127.0.0.9\n  User deploy\n  Port 2200\n  IdentityFile ${id}\n  ConnectTimeout 4\n`);
    const [h] = resolve({ hosts: ['build'], ssh_config: cfg });
    expect(h).toMatchObject({ id: 'deploy@build:2200', alias: 'build', host: '127.0.0.9', port: 2200, user: 'deploy', connectTimeoutSeconds: 4, jumps: [] });
    expect(h!.identities.map((i) => i.path)).toEqual([id]);
  });

  it('lets explicit YAML values win over ssh_config', () => {
    const yamlKey = key();
    const cfgKey = key();
    const cfg = sshConfig(`Host build\n  HostName 127.0.0.9\n  User deploy\n  Port 2200\n  IdentityFile ${cfgKey}\n  ConnectTimeout 4\n`);
    const [h] = resolve({ hosts: ['ops@build:2301'], ssh_config: cfg, identity_file: yamlKey, connect_timeout: 9 });
    expect(h).toMatchObject({ id: 'ops@build:2301', host: '127.0.0.9', port: 2301, user: 'ops', connectTimeoutSeconds: 9 });
    // As `ssh -i`: the YAML key first, then the config's.
    expect(h!.identities.map((i) => i.path)).toEqual([yamlKey, cfgKey]);
  });

  it('falls back to the defaults: port 22, the local user, 20 s', () => {
    const [h] = resolve({ hosts: ['plain'], identity_file: key() });
    expect(h).toMatchObject({ id: `${userInfo().username}@plain:22`, host: 'plain', connectTimeoutSeconds: 20 });
  });

  it('expands IdentityFile tokens and skips missing config keys as ssh does', () => {
    const id = key();
    const cfg = sshConfig(`Host web\n  HostName 10.1.1.1\n  User www\n  IdentityFile ${dir}/missing-%r-%h\n  IdentityFile ${id}\n`);
    const [h] = resolve({ hosts: ['web'], ssh_config: cfg });
    expect(h!.identities.map((i) => i.path)).toEqual([id]);
    expect(h!.skippedIdentities).toEqual([]);
    const bad = sshConfig('Host web\n  IdentityFile ~/.ssh/%j\n');
    expect(thrown(() => resolve({ hosts: ['web'], ssh_config: bad })).message).toMatch(/hosts\[0\] \("web" in ssh_config .*\): IdentityFile "~\/\.ssh\/%j": token %j is not supported/);
    const unset = sshConfig('Host web\n  IdentityFile ${TEA_TEST_UNSET_VAR}/id\n');
    expect(thrown(() => resolve({ hosts: ['web'], ssh_config: unset })).message).toMatch(/IdentityFile "\$\{TEA_TEST_UNSET_VAR\}\/id": \$\{TEA_TEST_UNSET_VAR\}: environment variable TEA_TEST_UNSET_VAR is not set/);
  });

  describe('OpenSSH parity: the real `ssh -G` is the oracle (the client binary is never used at runtime)', () => {
    const template = '~/kh-%C-%i-${TEA_TEST_DIR}-%d-%u-%l-%L-%h-%n-%k-%p-%r-%%';
    const env = { ...process.env, TEA_TEST_DIR: 'from-env' };
    const sshG = (cfg: string, alias: string) => {
      const out = execFileSync('ssh', ['-G', '-F', cfg, alias], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
    };

    it('UserKnownHostsFile and IdentityFile: ~, ${VAR} and every % token expand as ssh -G shows them', () => {
      const id = key();
      const cfg = sshConfig(`Host build\n  HostName 10.9.8.7\n  User deploy\n  Port 2222\n  UserKnownHostsFile ${template} /second/file\n  IdentityFile ${id}\n`);
      const oracle = sshG(cfg, 'build');
      const warnings: string[] = [];
      const [h] = resolve({ hosts: ['build'], ssh_config: cfg }, env, (m) => warnings.push(m));
      expect(h).toMatchObject({ host: oracle.hostname, port: Number(oracle.port), user: oracle.user });
      expect(h!.knownHosts).toBe(oracle.userknownhostsfile!.split(' ')[0]);
      expect(h!.knownHosts).toContain('-from-env-'); // ${VAR} is not dropped
      expect(warnings).toEqual([expect.stringContaining('UserKnownHostsFile lists 2 files; tea reads and writes only the first')]);

      // IdentityFile uses the same expansion (ssh -G prints it unexpanded): a key at the expanded path is found.
      const expanded = oracle.userknownhostsfile!.split(' ')[0]!;
      const cfg2 = sshConfig(`Host build\n  HostName 10.9.8.7\n  User deploy\n  Port 2222\n  IdentityFile ${template}\n`);
      const missing = resolve({ hosts: ['build'], ssh_config: cfg2 }, env)[0]!;
      expect(missing.identities).toEqual([]);
      execFileSync('mkdir', ['-p', path.dirname(expanded)]);
      execFileSync('cp', [id, expanded]);
      try {
        const found = resolve({ hosts: ['build'], ssh_config: cfg2 }, env)[0]!;
        expect(found.identities.map((i) => i.path)).toEqual([expanded]);
      } finally {
        execFileSync('rm', ['-f', expanded]);
      }
    });

    it.each([
      ['yes', 'yes'],
      ['ask', 'yes'],
      ['accept-new', 'accept-new'],
      ['no', 'no'],
      ['off', 'no'],
    ])('StrictHostKeyChecking %s from ssh_config is %s (ssh -G agrees on the value read)', (value, mode) => {
      const cfg = sshConfig(`Host h\n  StrictHostKeyChecking ${value}\n`);
      expect(sshG(cfg, 'h').stricthostkeychecking).toBe({ yes: 'true', ask: 'ask', 'accept-new': 'accept-new', no: 'false', off: 'false' }[value]);
      expect(resolve({ hosts: ['h'], ssh_config: cfg, identity_file: key() })[0]!.strictHostKeyChecking).toBe(mode);
    });

    it('YAML known_hosts and strict_host_key_checking win over ssh_config; without either, the defaults', () => {
      const cfg = sshConfig('Host h\n  UserKnownHostsFile /from/config\n  StrictHostKeyChecking no\n');
      const id = key();
      expect(resolve({ hosts: ['h'], ssh_config: cfg, identity_file: id, known_hosts: '/from/yaml', strict_host_key_checking: 'yes' })[0]).toMatchObject({
        knownHosts: '/from/yaml',
        strictHostKeyChecking: 'yes',
      });
      expect(resolve({ hosts: ['h'], ssh_config: cfg, identity_file: id })[0]).toMatchObject({ knownHosts: '/from/config', strictHostKeyChecking: 'no' });
      expect(resolve({ hosts: ['h'], identity_file: id })[0]).toMatchObject({ knownHosts: path.join(homedir(), '.ssh/known_hosts'), strictHostKeyChecking: 'accept-new' });
    });
  });

  it('refuses ProxyCommand (it would run a local command) and points to ProxyJump', () => {
    const cfg = sshConfig('Host hidden\n  ProxyCommand ssh -W %h:%p bastion\n');
    const error = thrown(() => resolve({ hosts: ['hidden'], ssh_config: cfg, identity_file: key() }));
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toMatch(/hosts\[0\].*ProxyCommand is not supported .*use ProxyJump/);
  });

  it('resolves ProxyJump hops through ssh_config, the first hop with its own ProxyJump, and refuses loops', () => {
    const id = key();
    const cfg = sshConfig(
      `Host target\n  HostName 10.0.0.5\n  ProxyJump bastion,ops@inner:2022\n` +
        `Host bastion\n  HostName 192.0.2.1\n  Port 2222\n  ProxyJump ssh://edge\n` +
        `Host inner\n  HostName 10.0.0.2\n` +
        `Host loop-a\n  ProxyJump loop-b\nHost loop-b\n  ProxyJump loop-a\n`,
    );
    const [h] = resolve({ hosts: ['target'], ssh_config: cfg, identity_file: id });
    const me = userInfo().username;
    expect(h!.jumps.map((j) => [j.id, j.host, j.port])).toEqual([
      [`${me}@edge:22`, 'edge', 22],
      [`${me}@bastion:2222`, '192.0.2.1', 2222],
      ['ops@inner:2022', '10.0.0.2', 2022],
    ]);
    expect(h!.jumps.every((j) => j.jumps.length === 0 && j.identities[0]?.path === id)).toBe(true);
    expect(thrown(() => resolve({ hosts: ['loop-a'], ssh_config: cfg, identity_file: id })).message).toMatch(/ProxyJump loop through "loop-a" \(loop-a -> loop-b -> loop-a\)/);
  });

  it('reports what it could not honour in ssh_config through warn', () => {
    const warnings: string[] = [];
    const cfg = sshConfig('Match exec "true"\n  User x\n');
    resolve({ hosts: ['a', 'b'], ssh_config: cfg, identity_file: key() }, {}, (m) => warnings.push(m));
    expect(warnings).toEqual([`${cfg}: "Match exec" is not supported by tea: that Match block is ignored`]);
  });
});

describe('resolveHosts: the agent', () => {
  const id = key();
  it('uses SSH_AUTH_SOCK by default, the YAML agent over it, and none when agent is false', () => {
    expect(resolve({ hosts: ['h'], identity_file: id }, { SSH_AUTH_SOCK: '/run/a.sock' })[0]!.agent).toBe('/run/a.sock');
    expect(resolve({ hosts: ['h'], identity_file: id, agent: false }, { SSH_AUTH_SOCK: '/run/a.sock' })[0]!.agent).toBeUndefined();
    expect(resolve({ hosts: ['h'], identity_file: id }, {})[0]!.agent).toBeUndefined();
  });

  it('follows ssh_config IdentityAgent and IdentitiesOnly', () => {
    const cfg = sshConfig('Host a\n  IdentityAgent none\nHost b\n  IdentityAgent ~/agent.sock\nHost c\n  IdentitiesOnly yes\nHost d\n  IdentityAgent SSH_AUTH_SOCK\n');
    const hosts = resolve({ hosts: ['a', 'b', 'c', 'd'], ssh_config: cfg, identity_file: id }, { SSH_AUTH_SOCK: '/run/a.sock' });
    expect(hosts.map((h) => h.agent)).toEqual([undefined, join(homedir(), 'agent.sock'), undefined, '/run/a.sock']);
  });
});

describe('resolveHosts: Windows clients', () => {
  const id = key();
  const onWindows = (raw: Record<string, unknown>, options: { localUser?: string; env?: NodeJS.ProcessEnv } = {}) =>
    resolveHosts(remote({ ssh_config: false, identity_file: id, ...raw }), { env: options.env ?? {}, platform: 'win32', ...(options.localUser ? { localUser: options.localUser } : {}) });

  it('accepts the OpenSSH for Windows agent pipe and Pageant on Windows, unchanged', () => {
    expect(onWindows({ hosts: ['h'], agent: '\\\\.\\pipe\\openssh-ssh-agent' })[0]!.agent).toBe('\\\\.\\pipe\\openssh-ssh-agent');
    expect(onWindows({ hosts: ['h'], agent: 'pageant' })[0]!.agent).toBe('pageant');
  });

  it('refuses a Windows-only agent on another platform, naming the setting', () => {
    for (const agent of ['pageant', '\\\\.\\pipe\\openssh-ssh-agent']) {
      const error = thrown(() => resolve({ hosts: ['h'], identity_file: id, agent }));
      expect(error.code).toBe('E_CONFIG_INVALID');
      expect(error.message).toContain('settings.parallel.remote.agent');
      expect(error.message).toContain('Windows agent');
    }
    const cfg = sshConfig('Host w\n  IdentityAgent \\\\.\\pipe\\openssh-ssh-agent\n');
    expect(thrown(() => resolve({ hosts: ['w'], identity_file: id, ssh_config: cfg })).message).toContain(`IdentityAgent in ssh_config ${cfg}`);
  });

  it('says when the local account name cannot be the default SSH user, and takes an explicit one', () => {
    for (const localUser of ['Ann Lee', 'CORP\\ann']) {
      const error = thrown(() => onWindows({ hosts: ['build'] }, { localUser }));
      expect(error.code).toBe('E_CONFIG_INVALID');
      expect(error.message).toContain(`local account name "${localUser}" is not a valid SSH user name`);
      expect(error.message).toContain('set "user" in the host entry');
      expect(onWindows({ hosts: ['ann@build'] }, { localUser })[0]!.user).toBe('ann');
    }
    expect(onWindows({ hosts: ['build'] }, { localUser: 'ann.lee' })[0]!.id).toBe('ann.lee@build:22');
  });
});

describe('resolveHosts: encrypted keys and passphrase_env', () => {
  const passphrase = 'correct horse $(battery) `staple`';
  const encrypted = key(passphrase);

  it('decrypts with the passphrase from the named variable', () => {
    const [h] = resolve({ hosts: ['h'], identity_file: encrypted, passphrase_env: 'TEA_KEY_PASS' }, { TEA_KEY_PASS: passphrase });
    expect(h!.identities).toEqual([expect.objectContaining({ path: encrypted, passphrase })]);
    const [own] = resolve({ hosts: [{ host: 'h', identity_file: encrypted, passphrase_env: 'HOST_PASS' }] }, { HOST_PASS: passphrase });
    expect(own!.identities[0]!.passphrase).toBe(passphrase);
  });

  it('says what to do, naming the config path and the variable but never the passphrase', () => {
    const cases: Array<[Record<string, unknown>, NodeJS.ProcessEnv, RegExp]> = [
      [{ identity_file: encrypted }, {}, /settings\.parallel\.remote\.identity_file: cannot use identity file .*: it is encrypted: set passphrase_env/],
      [{ identity_file: encrypted, passphrase_env: 'TEA_KEY_PASS' }, {}, /it is encrypted and TEA_KEY_PASS \(settings\.parallel\.remote\.passphrase_env\) is not set in the environment/],
      [{ identity_file: encrypted, passphrase_env: 'TEA_KEY_PASS' }, { TEA_KEY_PASS: `${passphrase}x` }, /the passphrase in TEA_KEY_PASS does not decrypt it/],
    ];
    for (const [raw, env, message] of cases) {
      const error = thrown(() => resolve({ hosts: ['h'], ...raw }, env));
      expect(error.code).toBe('E_CONFIG_INVALID');
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(passphrase);
    }
  });

  it('skips an encrypted key from ssh_config it cannot unlock, and says so in the spec for the auth error', () => {
    const cfg = sshConfig(`Host h\n  IdentityFile ${encrypted}\n`);
    const [h] = resolve({ hosts: ['h'], ssh_config: cfg });
    expect(h!.identities).toEqual([]);
    expect(h!.skippedIdentities).toEqual([`${encrypted} (it is encrypted)`]);
  });

  it('refuses a private key that group or others can read, as OpenSSH does, with the chmod that fixes it', () => {
    const open = key();
    chmodSync(open, 0o644);
    const error = thrown(() => resolve({ hosts: ['h'], identity_file: open }));
    expect(error.message).toBe(
      `settings.parallel.remote.identity_file: cannot use identity file ${open}: its permissions 0644 are too open (group or others can read it): ` +
        `chmod 600 ${open} (ssh refuses such a key: "UNPROTECTED PRIVATE KEY FILE")`,
    );
    // From ssh_config it is skipped (as ssh skips it), and the reason is kept for the messages.
    const [h] = resolve({ hosts: ['h'], ssh_config: sshConfig(`Host h\n  IdentityFile ${open}\n`) });
    expect(h!.identities).toEqual([]);
    expect(h!.skippedIdentities).toEqual([`${open} (its permissions 0644 are too open (group or others can read it))`]);
    chmodSync(open, 0o600);
    expect(resolve({ hosts: ['h'], identity_file: open })[0]!.identities.map((i) => i.path)).toEqual([open]);
  });

  it('accepts only variable names in passphrase_env (the value never belongs in YAML)', () => {
    expect(() => remote({ hosts: ['h'], passphrase_env: 'hunter2 is my password' })).toThrow(/settings\.parallel\.remote\.passphrase_env: must be an environment variable name/);
  });
});
