import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseParallelConfig } from '../../../src/config/parallel';
import { parseSshLogin } from '../../../src/config/sshlogin';
import { resolveHosts } from '../../../src/remote/trust/hosts';

describe('sshlogin', () => {
  it.each([
    ['server1', { host: 'server1' }],
    ['tea@server1', { host: 'server1', user: 'tea' }],
    ['4/deploy@build-2:2222', { host: 'build-2', user: 'deploy', port: 2222, slots: 4 }],
    ['[::1]:2222', { host: '::1', port: 2222 }],
    ['tea@[fe80::1%lo]:22', { host: 'fe80::1%lo', user: 'tea', port: 22 }],
    ['[fe80::1%eth0.5]', { host: 'fe80::1%eth0.5' }],
  ])('parses %s', (text, expected) => {
    expect(parseSshLogin(text)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['h:99999', /port must be 1-65535/],
    ['h:0', /port must be 1-65535/],
    ['0/h', /slots/],
    ['bad user@h', /invalid user/],
    ['h;rm -rf', /invalid host/],
    ['[fe80::1%l o]', /invalid IPv6 address/],
  ])('rejects %j', (text, message) => {
    expect(parseSshLogin(text)).toMatch(message);
  });

  it('tells to write a bare IPv6 address in brackets, instead of "invalid host name \"\""', () => {
    expect(parseSshLogin('user@::1')).toBe('an IPv6 address must be written in brackets: "user@[::1]" (with a port: "[::1]:22")');
    expect(parseSshLogin('fe80::1%lo')).toBe('an IPv6 address must be written in brackets: "[fe80::1%lo]" (with a port: "[fe80::1%lo]:22")');
    expect(parseSshLogin('user@')).toBe('no host name in "user@"');
  });

  it('accepts an IPv6 address with a zone id as a host object', () => {
    const config = parseParallelConfig({ strategy: 'remote', remote: { hosts: [{ host: 'fe80::1%lo', port: 2222 }] } }).remote!;
    expect(config.hosts[0]).toMatchObject({ host: 'fe80::1%lo', port: 2222 });
    expect(() => parseParallelConfig({ strategy: 'remote', remote: { hosts: [{ host: 'fe80::1%lo;x' }] } })).toThrow(/invalid host name/);
  });
});

describe('settings.parallel.remote', () => {
  const parse = (remote: unknown) => parseParallelConfig({ strategy: 'remote', remote });

  it('applies the documented defaults', () => {
    const config = parse({ hosts: ['h'] }).remote!;
    expect(config).toMatchObject({
      workdir: '.cache/tea-remote',
      cleanup: true,
      max_channels_per_host: 8,
      ssh_config: '~/.ssh/config',
      env_vars: { include: [], exclude_patterns: [], mode: 'stdin' },
      max_result_bytes: 256 * 1024 * 1024,
      runner: 'process',
      warm_standbys: 'off',
    });
    expect(parse({ hosts: ['h'], runner: 'warm', warm_standbys: 'auto' }).remote!.warm_standbys).toBe('auto');
    expect(() => parse({ hosts: ['h'], warm_standbys: 3 })).toThrow(/warm_standbys/);
    // Unset so that a host's ssh_config ConnectTimeout can apply (20 s otherwise: resolveHosts).
    expect(config.connect_timeout).toBeUndefined();
    // Likewise for ssh_config UserKnownHostsFile / StrictHostKeyChecking (defaults applied per host by resolveHosts).
    expect(config.known_hosts).toBeUndefined();
    expect(config.strict_host_key_checking).toBeUndefined();
  });

  it.each(['~', '~/jobs', 'jobs', '.cache/tea-remote', '/srv/tea jobs/x', '/tmp/tea-jobs'])('accepts the workdir %j', (workdir) => {
    expect(parse({ hosts: ['h'], workdir }).remote!.workdir).toBe(workdir);
  });

  it('accepts sshlogin strings and objects side by side', () => {
    const config = parse({ hosts: ['tea@s1', '4/deploy@b2:2222', { host: 'b3', user: 'deploy', port: 22, slots: 6 }] }).remote!;
    expect(config.hosts).toEqual([
      { host: 's1', user: 'tea' },
      { host: 'b2', user: 'deploy', port: 2222, slots: 4 },
      { host: 'b3', user: 'deploy', port: 22, slots: 6 },
    ]);
  });

  it.each([
    [{ hosts: [] }, /settings\.parallel\.remote\.hosts: at least one host/],
    [{ hosts: ['a', 'b:70000'] }, /settings\.parallel\.remote\.hosts\[1\]: port must be 1-65535 \(got "70000"\)/],
    [{ hosts: ['a'], colour: 'red' }, /settings\.parallel\.remote: .*colour/],
    [{ hosts: ['a'], strict_host_key_checking: 'maybe' }, /settings\.parallel\.remote\.strict_host_key_checking/],
    [{ hosts: ['a'], workdir: 'a\nb' }, /settings\.parallel\.remote\.workdir: must not contain NUL or newline/],
    [{ hosts: ['a'], workdir: '/srv/a\tb' }, /settings\.parallel\.remote\.workdir: must not contain control characters/],
    [{ hosts: [{ host: 'a', port: 'x' }] }, /settings\.parallel\.remote\.hosts\[0\]/],
    [{ hosts: ['a'], workdir: '/tmp/x/../../etc' }, /settings\.parallel\.remote\.workdir: "\/tmp\/x\/\.\.\/\.\.\/etc" has a "\.\." component/],
    [{ hosts: ['a'], workdir: '../elsewhere' }, /workdir: "\.\.\/elsewhere" has a "\.\." component/],
    [{ hosts: ['a'], workdir: '~/../x' }, /workdir: .* has a "\.\." component/],
    [{ hosts: ['a'], workdir: '/tmp//x' }, /workdir: "\/tmp\/\/x" has an empty component/],
    [{ hosts: ['a'], workdir: 'jobs/' }, /workdir: "jobs\/" has an empty component/],
    [{ hosts: ['a'], workdir: './jobs' }, /workdir: "\.\/jobs" has a "\." component/],
    [{ hosts: ['a'], workdir: '' }, /workdir: must not be empty/],
    [{ hosts: ['a'], workdir: '/' }, /workdir: must not be "\/"/],
    [{ hosts: ['a'], workdir: '~eve/jobs' }, /workdir: "~eve\/jobs": ~user paths are not supported/],
  ])('rejects %j with the path', (remote, message) => {
    expect(() => parse(remote)).toThrow(message);
  });

  describe('resolveHosts', () => {
    const key = () => {
      const dir = mkdtempSync(join(tmpdir(), 'keys-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id')]);
      return join(dir, 'id');
    };

    it('fills user, port and slots and reads the key', () => {
      const id = key();
      const [h] = resolveHosts(parse({ hosts: ['deploy@b:2200'], identity_file: id }).remote!);
      expect(h).toMatchObject({ id: 'deploy@b:2200', host: 'b', port: 2200, user: 'deploy', slots: 8 });
      expect(h!.identities.map((i) => i.path)).toEqual([id]);
    });

    it('fails before any connection when a configured key is missing or unusable', () => {
      expect(() => resolveHosts(parse({ hosts: ['h'], identity_file: '/nonexistent/key' }).remote!)).toThrow(
        /settings\.parallel\.remote\.identity_file: cannot read identity file \/nonexistent\/key/,
      );
      const bad = join(mkdtempSync(join(tmpdir(), 'keys-')), 'bad');
      writeFileSync(bad, 'not a key');
      expect(() => resolveHosts(parse({ hosts: [{ host: 'h', identity_file: bad }] }).remote!)).toThrow(/hosts\[0\]\.identity_file: cannot use identity file/);
    });

    it('refuses the same host twice', () => {
      const id = key();
      expect(() => resolveHosts(parse({ hosts: ['u@h:22', 'u@h'], identity_file: id }).remote!)).toThrow(/hosts\[1\]: u@h:22 is listed twice/);
    });
  });
});
