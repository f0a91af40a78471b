import { homedir } from 'node:os';
import { join } from 'node:path';
import { expandHome, isWindowsPipe } from '../../../src/util/paths';

const windows = { platform: 'win32' as const, home: 'C:\\Users\\Ann Lee', env: { USERPROFILE: 'C:\\Users\\Ann Lee', SystemDrive: 'C:' } };

describe('expandHome: local paths as the local ssh reads them', () => {
  it('expands ~ and ~/ on POSIX and leaves everything else alone', () => {
    expect(expandHome('~')).toBe(homedir());
    expect(expandHome('~/.ssh/id_ed25519')).toBe(join(homedir(), '.ssh/id_ed25519'));
    expect(expandHome('/etc/ssh/key')).toBe('/etc/ssh/key');
    // A backslash and %...% are ordinary file name characters on POSIX.
    expect(expandHome('~\\x', { platform: 'linux', home: '/home/u' })).toBe('~\\x');
    expect(expandHome('%HOME%/x', { platform: 'linux', env: { HOME: '/home/u' } })).toBe('%HOME%/x');
  });

  it('expands ~\\ and ~/ to the Windows home with backslashes', () => {
    expect(expandHome('~', windows)).toBe('C:\\Users\\Ann Lee');
    expect(expandHome('~\\.ssh\\id_ed25519', windows)).toBe('C:\\Users\\Ann Lee\\.ssh\\id_ed25519');
    expect(expandHome('~/.ssh/known_hosts', windows)).toBe('C:\\Users\\Ann Lee\\.ssh\\known_hosts');
  });

  it('expands %USERPROFILE%-style variables on Windows, case-insensitively, and keeps unknown ones', () => {
    expect(expandHome('%USERPROFILE%\\.ssh\\id_ed25519', windows)).toBe('C:\\Users\\Ann Lee\\.ssh\\id_ed25519');
    expect(expandHome('%userprofile%\\.ssh\\config', windows)).toBe('C:\\Users\\Ann Lee\\.ssh\\config');
    expect(expandHome('%SystemDrive%\\keys\\id', windows)).toBe('C:\\keys\\id');
    expect(expandHome('%NO_SUCH%\\id', windows)).toBe('%NO_SUCH%\\id');
  });

  it('leaves absolute Windows paths and named pipes as written', () => {
    expect(expandHome('C:\\Users\\x\\.ssh\\id_ed25519', windows)).toBe('C:\\Users\\x\\.ssh\\id_ed25519');
    expect(expandHome('\\\\.\\pipe\\openssh-ssh-agent', windows)).toBe('\\\\.\\pipe\\openssh-ssh-agent');
  });
});

describe('isWindowsPipe', () => {
  it('knows the OpenSSH for Windows agent pipe in either slash form', () => {
    expect(isWindowsPipe('\\\\.\\pipe\\openssh-ssh-agent')).toBe(true);
    expect(isWindowsPipe('//./pipe/openssh-ssh-agent')).toBe(true);
    expect(isWindowsPipe('pageant')).toBe(false);
    expect(isWindowsPipe('/run/user/1000/ssh-agent.sock')).toBe(false);
    expect(isWindowsPipe('\\\\.\\pipe\\')).toBe(false);
  });
});
