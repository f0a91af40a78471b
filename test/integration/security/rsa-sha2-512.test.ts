// An RSA user key against a host that accepts only rsa-sha2-512 (PubkeyAcceptedAlgorithms):
// OpenSSH's client logs in, plain ssh2 (rsa-sha2-256 only) is refused, tea logs in.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connectHost } from '../../harness/ssh-connect';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { flow, runFlows, scratch } from './helpers';

jest.setTimeout(120_000);

let fx: LocalHostsFixture;
const dir = scratch();
const rsaKey = join(dir, 'id_rsa');
const agentSocket = join(dir, 'agent.sock');
let agentPid: string | undefined;
beforeAll(async () => {
  fx = await startLocalHosts({ count: 1, sshdOptions: { PubkeyAcceptedAlgorithms: 'rsa-sha2-512' } });
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsaKey]);
  appendFileSync(join(dirname(fx.hosts[0]!.logPath), 'authorized_keys'), readFileSync(`${rsaKey}.pub`));
  // An ssh-agent holding only the RSA key (OpenSSH's own agent, as users run it).
  const started = execFileSync('ssh-agent', ['-s', '-a', agentSocket], { encoding: 'utf8' });
  agentPid = /SSH_AGENT_PID=(\d+)/.exec(started)?.[1];
  execFileSync('ssh-add', ['-q', rsaKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' });
});
afterAll(async () => {
  if (agentPid !== undefined) process.kill(Number(agentPid));
  await fx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('the OpenSSH client logs in with the RSA key (the host is set up as claimed)', () => {
  const h = fx.hosts[0]!;
  const ssh = spawnSync(
    'ssh',
    ['-F', '/dev/null', '-i', rsaKey, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${fx.knownHostsPath}`, '-p', String(h.port), `${h.user}@${h.host}`, 'echo in'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect([ssh.status, ssh.stdout.trim()]).toEqual([0, 'in']);
});

it('plain ssh2 with the same key is refused: it signs with rsa-sha2-256 only', async () => {
  await expect(connectHost(fx, 0, { privateKey: readFileSync(rsaKey) })).rejects.toMatchObject({ level: 'client-authentication' });
});

it('tea logs in with it (rsa-sha2-512) and runs the branch', async () => {
  const { results } = await runFlows(fx, [flow('work', { n: 5 })], { identity_file: rsaKey, agent: false, ssh_config: false });
  expect(results[0]).toMatchObject({ success: true, state: { doubled: 10 } });
  expect(fx.readLog(0)).toMatch(/Accepted publickey for \S+ from \S+ port \d+ ssh2: RSA SHA256:/);
});

describe('the RSA key held in an ssh-agent', () => {
  it('plain ssh2 with the agent is refused: it asks the agent for rsa-sha2-256 signatures only', async () => {
    await expect(connectHost(fx, 0, { agent: agentSocket })).rejects.toMatchObject({ level: 'client-authentication' });
  });

  it('tea logs in through the agent (it asks the agent for a SHA-512 signature) and runs the branch', async () => {
    // The fixture's own ed25519 key stays configured: the host refuses it, so only the agent's key can log in.
    const { results } = await runFlows(fx, [flow('work', { n: 6 })], { agent: agentSocket, ssh_config: false });
    expect(results[0]).toMatchObject({ success: true, state: { doubled: 12 } });
    expect(fx.readLog(0)).toMatch(/Accepted publickey for \S+ from \S+ port \d+ ssh2: RSA SHA256:/);
  });
});
