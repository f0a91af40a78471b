// The SFTP probe and the probe exec go out together (issue 21). A failure of one while the
// other is still awaited must be handled: Node ends a process on an unhandled rejection, and
// jest would hide that, so the preflight runs here in a plain node process (dist/lib, the
// built library) against a scripted connection whose exec fails while SFTP is still opening.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const lib = resolve(__dirname, '../../../dist/lib');

it('an exec that fails while the SFTP probe is still opening is reported, and the process lives on', () => {
  const script = `
    const { preflight } = require(${JSON.stringify(join(lib, 'remote/host/preflight.js'))});
    const { BasefileCatalog } = require(${JSON.stringify(join(lib, 'remote/host/basefile.js'))});
    const { TeaError } = require(${JSON.stringify(join(lib, 'errors.js'))});
    const connection = {
      spec: { id: 'u@h:22', host: 'h', port: 22, connectTimeoutSeconds: 5, knownHosts: '/nonexistent', strictHostKeyChecking: 'yes' },
      sftpCrowdsExec: false,
      connect: async () => ({}),
      sftpLease: () => new Promise((resolve) => setTimeout(() => resolve({ ops: {}, release() {} }), 100)),
      exec: () => Promise.reject(new TeaError('E_CONNECTION_LOST', 'u@h:22: connection lost (test)', { host: 'u@h:22' })),
    };
    preflight(connection, {
      remote: { workdir: '.cache/tea-remote' }, catalog: new BasefileCatalog(null), workflowBytes: 10,
      localVersion: '0.1.0', stage: { runDirName: 'run-r1-h0', workflow: 'nodes: []' }, signal: new AbortController().signal,
    }).then((r) => console.log(JSON.stringify({ status: r.status, code: r.error && r.error.code })));
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({
    status: 0,
    stdout: JSON.stringify({ status: 'unusable', code: 'E_CONNECTION_LOST' }),
    stderr: '',
  });
});
