import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TeaError } from '../../../../src/errors';
import { SshConfig } from '../../../../src/remote/trust/ssh-config';

const config = (text: string, path = '/home/u/.ssh/config') => SshConfig.fromText(text, path);

describe('ssh_config evaluation (as ssh computes it)', () => {
  it('takes the first value obtained for each keyword and accumulates IdentityFile', () => {
    const c = config(`
Host build-*
  HostName 10.0.0.7
  Port=2222
  IdentityFile "~/.ssh/id build"
Host *
  HostName ignored.example
  User deploy
  Port 22
  IdentityFile ~/.ssh/id_shared
  ConnectTimeout 7
`);
    expect(c.lookup('build-1')).toEqual({
      hostName: '10.0.0.7',
      port: '2222',
      user: 'deploy',
      identityFiles: ['~/.ssh/id build', '~/.ssh/id_shared'],
      connectTimeout: '7',
    });
    expect(c.lookup('other')).toMatchObject({ hostName: 'ignored.example', port: '22', identityFiles: ['~/.ssh/id_shared'] });
  });

  it('matches Host patterns case-insensitively with *, ? (one character) and ! (negation wins)', () => {
    const c = config(`
Host web? !web9
  User web
Host *
  User other
`);
    expect(c.lookup('web1').user).toBe('web');
    expect(c.lookup('WEB2').user).toBe('web');
    expect(c.lookup('web').user).toBe('other'); // ? is exactly one character
    expect(c.lookup('web10').user).toBe('other');
    expect(c.lookup('web9').user).toBe('other');
  });

  it('applies top-level directives before the first Host to every host', () => {
    expect(config('User early\nHost x\n  User late\n').lookup('x').user).toBe('early');
  });

  it('supports Match all / host (after HostName) / originalhost / user / localuser and negation', () => {
    const me = userInfo().username;
    const c = config(`
Host alias
  HostName real.example
Match host real.example user deploy
  Port 2201
Match originalhost alias !localuser ${me}
  Port 2202
Match localuser ${me}
  ConnectTimeout 3
Match all
  IdentityFile ~/.ssh/all
`);
    expect(c.lookup('alias', 'deploy')).toMatchObject({ hostName: 'real.example', port: '2201', connectTimeout: '3', identityFiles: ['~/.ssh/all'] });
    expect(c.lookup('alias', 'root').port).toBeUndefined();
    expect(c.takeNotes()).toEqual([]);
  });

  it('never runs Match exec: the block is ignored and reported once', () => {
    const canary = join(mkdtempSync(join(tmpdir(), 'sshcfg-exec-')), 'ran');
    const c = config(`
Match exec "touch ${canary}"
  Port 2299
`);
    expect(c.lookup('h').port).toBeUndefined();
    c.lookup('h');
    expect(existsSync(canary)).toBe(false);
    expect(c.takeNotes()).toEqual(['/home/u/.ssh/config: "Match exec" is not supported by tea: that Match block is ignored']);
  });

  it('treats ProxyJump and ProxyCommand as one setting: the first one wins', () => {
    const c = config(`
Host a
  ProxyCommand ssh -W %h:%p bastion
  ProxyJump j1
Host b
  ProxyJump j2
  ProxyCommand nc %h %p
`);
    expect(c.lookup('a')).toMatchObject({ proxyCommand: 'ssh -W %h:%p bastion' });
    expect(c.lookup('a').proxyJump).toBeUndefined();
    expect(c.lookup('b')).toMatchObject({ proxyJump: 'j2' });
    expect(c.lookup('b').proxyCommand).toBeUndefined();
  });

  it('follows Include (relative to the config file, globs in the file name, sorted), inside Host blocks too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sshcfg-'));
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '20-b.conf'), 'Host *\n  User from-b\n  Port 2020\n');
    writeFileSync(join(dir, 'conf.d', '10-a.conf'), 'Host db\n  User from-a\n');
    writeFileSync(join(dir, 'only-x'), 'HostName x.internal\n');
    writeFileSync(join(dir, 'config'), 'Include conf.d/*.conf\nHost x\n  Include only-x\n');
    const c = SshConfig.load(join(dir, 'config'), false, 'settings.parallel.remote.ssh_config');
    expect(c.lookup('db')).toMatchObject({ user: 'from-a', port: '2020' });
    expect(c.lookup('x')).toMatchObject({ user: 'from-b', hostName: 'x.internal' });
    expect(c.lookup('y').hostName).toBeUndefined();
  });

  it('reads CRLF files (main and included) and Windows-style paths as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sshcfg-crlf-'));
    writeFileSync(join(dir, 'extra.conf'), 'Host db\r\n  User from-include\r\n  Port 2022\r\n');
    writeFileSync(
      join(dir, 'config'),
      [
        'Include extra.conf',
        'Host db win',
        '  HostName 10.0.0.5',
        '  IdentityFile C:\\Users\\ann\\.ssh\\id_ed25519',
        '  IdentityFile "~\\.ssh\\id 2"',
        '  IdentityAgent \\\\.\\pipe\\openssh-ssh-agent',
        '',
      ].join('\r\n'),
    );
    const c = SshConfig.load(join(dir, 'config'), false, 'settings.parallel.remote.ssh_config');
    expect(c.lookup('db')).toEqual({
      user: 'from-include',
      port: '2022',
      hostName: '10.0.0.5',
      identityFiles: ['C:\\Users\\ann\\.ssh\\id_ed25519', '~\\.ssh\\id 2'],
      identityAgent: '\\\\.\\pipe\\openssh-ssh-agent',
    });
    expect(c.lookup('win')).toEqual({
      hostName: '10.0.0.5',
      identityFiles: ['C:\\Users\\ann\\.ssh\\id_ed25519', '~\\.ssh\\id 2'],
      identityAgent: '\\\\.\\pipe\\openssh-ssh-agent',
    });
  });

  it('stops an Include loop with an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sshcfg-loop-'));
    writeFileSync(join(dir, 'config'), 'Include config\n');
    const c = SshConfig.load(join(dir, 'config'), false, 'x');
    expect(() => c.lookup('h')).toThrow(/Include nested deeper than 16 levels/);
  });

  it('is empty when the default file is missing, and an error naming the path when a configured one is', () => {
    expect(SshConfig.load('/nonexistent/tea/config', true, 'p').lookup('h')).toEqual({ identityFiles: [] });
    expect(() => SshConfig.load('/nonexistent/tea/config', false, 'settings.parallel.remote.ssh_config')).toThrow(TeaError);
    expect(() => SshConfig.load('/nonexistent/tea/config', false, 'settings.parallel.remote.ssh_config')).toThrow(
      'settings.parallel.remote.ssh_config: cannot read ssh_config /nonexistent/tea/config: ENOENT',
    );
  });
});
