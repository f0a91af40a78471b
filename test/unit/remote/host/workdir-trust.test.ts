import { describeUntrusted, modeString, trustProblem } from '../../../../src/remote/host/workdir-trust';

const me = 1000;
const at = (role: 'anc' | 'home' | 'workdir' | 'cache' | 'run', mode: string, uid: number, owner = '') => ({ role, mode, uid, owner });

describe('workdir trust rule (StrictModes)', () => {
  it('accepts directories of the login user or root that only their owner can write', () => {
    expect(trustProblem(at('workdir', 'drwx------', me), me)).toBeNull();
    expect(trustProblem(at('anc', 'drwxr-xr-x', 0), me)).toBeNull();
    expect(trustProblem(at('cache', 'drwxr-x---', me), me)).toBeNull();
  });

  it('accepts a root-owned sticky directory (like /tmp) above the workdir, never as the workdir or below it', () => {
    expect(trustProblem(at('anc', 'drwxrwxrwt', 0), me)).toBeNull();
    expect(trustProblem(at('workdir', 'drwxrwxrwt', 0), me)).toMatch(/writable by group or others \(mode drwxrwxrwt/);
    expect(trustProblem(at('anc', 'drwxrwxrwt', 1001, 'eve'), me)).toMatch(/owned by eve \(uid 1001\)/);
    expect(trustProblem(at('home', 'drwxrwxrwt', 0), me)).toMatch(/writable by group or others/);
  });

  it('refuses symlinks, other owners, group- or world-writable directories and non-directories', () => {
    expect(trustProblem(at('workdir', 'lrwxrwxrwx', me), me)).toMatch(/is a symbolic link/);
    expect(trustProblem(at('cache', 'drwx------', 1001, 'eve'), me)).toBe('is owned by eve (uid 1001), mode drwx------: only the login user or root may own it');
    expect(trustProblem(at('anc', 'drwxrwxr-x', me), me)).toMatch(/writable by group or others/);
    expect(trustProblem(at('run', 'drwx---rwx', me), me)).toMatch(/writable by group or others/);
    expect(trustProblem(at('workdir', '-rwx------', me), me)).toMatch(/is not a directory/);
  });

  it('names the path, owner, mode and the fix', () => {
    const message = describeUntrusted('/tmp/tea-jobs', [{ role: 'workdir', mode: 'drwxrwxrwx', uid: 1001, owner: 'eve', path: '/tmp/tea-jobs' }], me, 'alice');
    expect(message).toBe(
      'workdir /tmp/tea-jobs is not safe for alice: /tmp/tea-jobs is owned by eve (uid 1001), mode drwxrwxrwx: only the login user or root may own it; ' +
        'another user may have put it there to get their files run as you: remove it (as root if needed) or set workdir to a directory only you can write (the default .cache/tea-remote is under your home)',
    );
    expect(describeUntrusted('w', [{ role: 'workdir', mode: 'drwxrwx---', uid: me, owner: 'alice', path: '/home/alice/w' }], me, 'alice')).toContain('run "chmod go-w /home/alice/w" on the host');
    expect(describeUntrusted('w', [], me, 'alice')).toBeNull();
  });

  it('writes SFTP modes as ls does', () => {
    expect(modeString(0o040700)).toBe('drwx------');
    expect(modeString(0o041777)).toBe('drwxrwxrwt');
    expect(modeString(0o120777)).toBe('lrwxrwxrwx');
    expect(modeString(0o100644)).toBe('-rw-r--r--');
  });
});
