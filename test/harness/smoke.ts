/**
 * The smoke check both backends must pass, per host: an ssh2 connection that verifies
 * the host key against the fixture's known_hosts, an exec (with a TEA_* variable, which
 * needs AcceptEnv; Dropbear ignores it), an SFTP write + read, and the login showing up in
 * the host's log.
 */
import type { HostsFixture } from './hosts';
import { connectHost, execOn, openSftp, sftpRead, sftpWrite } from './ssh-connect';

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

export async function smokeHost(fx: HostsFixture, i: number): Promise<void> {
  const h = fx.hosts[i]!;
  const workdir = String(fx.remoteConfig().workdir);
  const before = fx.countConnections(i);
  const client = await connectHost(fx, i);
  try {
    const res = await execOn(client, `echo "tea:$TEA_SMOKE"; id -un; mkdir -p '${workdir}'`, { TEA_SMOKE: h.name });
    expect(res).toMatchObject({ code: 0, stderr: '' });
    // Dropbear (2022.83) passes no client env but LANG: the variable arrives empty there.
    const env = h.server === 'dropbear' ? '' : h.name;
    expect(res.stdout).toContain(`tea:${env}\n${h.user}\n`);

    const sftp = await openSftp(client);
    const file = `${workdir}/smoke-${h.name}.txt`;
    const content = `hello from ${h.name} ${Date.now()}\n`;
    await sftpWrite(sftp, file, content);
    expect(await sftpRead(sftp, file)).toBe(content);
    sftp.end();
    // The same file seen from the fixture's own way onto the host.
    expect(await fx.exec(i, `cat '${file}'`)).toEqual({ code: 0, stdout: content, stderr: '' });
  } finally {
    client.end();
  }
  expect(await eventually(() => fx.countConnections(i) === before + 1)).toBe(true);
  // sshd: "Accepted publickey for USER from"; dropbear: "Pubkey auth succeeded for 'USER' with ... from".
  expect(fx.readLog(i)).toMatch(new RegExp(`Accepted publickey for ${h.user} from |Pubkey auth succeeded for '${h.user}' `));
}
