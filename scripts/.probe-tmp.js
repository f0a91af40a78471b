const { LocalSshdCluster } = require('/work/wt-xfer/test/harness/sshd-core.js');
const { Client } = require('ssh2');
const fs = require('fs');
(async () => {
  const c = await LocalSshdCluster.start({ count: 3, sshdOptions: [{ Subsystem: 'none' }, { Subsystem: 'sftp /bin/sleep 1000' }, { MaxSessions: '1' }], user: 'tea-test' });
  const d = c.describe();
  for (const h of d.hosts) {
    const cl = new Client();
    await new Promise((res, rej) => { cl.on('ready', res).on('error', rej).connect({ host: h.host, port: h.port, username: h.user, privateKey: fs.readFileSync(d.clientKeyPath) }); });
    const t0 = Date.now();
    const r = await Promise.race([new Promise((res) => cl.sftp((e, s) => res(e ? 'err: ' + e.message : 'ok'))), new Promise((r) => setTimeout(() => r('timeout 5s'), 5000))]);
    console.log(h.name, 'sftp:', r, Date.now() - t0);
    const r2 = await Promise.race([new Promise((res) => cl.exec('echo hi', (e, s) => { if (e) return res('err: ' + e.message); s.on('data', d => {}); s.on('close', () => res('exec ok')); })), new Promise((r) => setTimeout(() => r('exec timeout 3s'), 3000))]);
    console.log(h.name, r2);
    cl.end();
  }
  await c.stop();
})().catch((e) => { console.error(e); process.exit(1); });
