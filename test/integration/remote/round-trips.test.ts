// Issue 21: a branch costs ONE exec request (channel open + exec + its data: 3 round trips)
// and no SFTP request; counted here against real sshd (not timed), so a regression that adds
// a request per branch fails CI. The figures at 0/20/80 ms RTT are in docs/operations.md.
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { HostConnection } from '../../../src/remote/ssh/connection';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { capture, flow } from './helpers';

jest.setTimeout(120_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

it('a branch is one exec and no SFTP request; the run fixed part is counted too', async () => {
  const execs: string[] = [];
  const sftp: number[] = [];
  const realExec = HostConnection.prototype.exec;
  const realLease = HostConnection.prototype.sftpLease;
  HostConnection.prototype.exec = function (this: HostConnection, ...args: Parameters<typeof realExec>) {
    execs.push(Buffer.isBuffer(args[2]?.stdin) ? args[2]!.stdin.toString('utf8').split('\n')[0]! : args[0]);
    return realExec.apply(this, args);
  };
  HostConnection.prototype.sftpLease = function (this: HostConnection, ...args: Parameters<typeof realLease>) {
    sftp.push(1);
    return realLease.apply(this, args);
  };
  const captured = capture();
  const executor = new RemoteExecutor(captured.context);
  try {
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ max_channels_per_host: 1 }) });
    const first = await executor.execute([flow('work', { n: 1 })], config);
    expect(first[0]!.success).toBe(true);
    const fixed = { execs: execs.length - 1, sftp: sftp.length };
    const [e0, s0] = [execs.length, sftp.length];
    const more = await executor.execute([1, 2, 3, 4, 5, 6].map((n) => flow('work', { n })), config);
    expect(more.map((r) => r.state?.doubled)).toEqual([2, 4, 6, 8, 10, 12]);
    // Per branch: exactly one exec (the run wrapper), no SFTP.
    expect({ execs: execs.length - e0, sftp: sftp.length - s0 }).toEqual({ execs: 6, sftp: 0 });
    expect(execs.slice(e0).every((line) => line.includes('tea-result'))).toBe(true);
    // The fixed part (preflight probe, staging): bounded, printed for the docs.
    expect(fixed.execs).toBeLessThanOrEqual(3);
    console.log(`fixed part: ${fixed.execs} exec(s), ${fixed.sftp} SFTP lease(s); per branch: 1 exec, 0 SFTP`);
  } finally {
    HostConnection.prototype.exec = realExec;
    HostConnection.prototype.sftpLease = realLease;
    await executor.close();
  }
});
