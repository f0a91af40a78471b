// What a plain `tea run` loads: every remote branch is a fresh `tea run`, so what it loads at
// start it pays for on every branch. ssh2, TLS, node:net and node:crypto stay off that path
// (a FIFO --input, --dry-run and the remote strategy load theirs on use).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installTea } from './tea';

let tea: string;
let dir: string;
beforeAll(() => ({ tea, dir } = installTea()));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a local run loads neither node:net, node:tls nor node:crypto', () => {
  const workflow = path.join(dir, 'wf.yaml');
  writeFileSync(workflow, 'nodes:\n  - name: a\n    run: "return { x: state.n + 1 };"\nedges:\n  - { from: __start__, to: a }\n  - { from: a, to: __end__ }\n');
  writeFileSync(path.join(dir, 'in.json'), '{"n": 1}');
  // Written at exit by a preload: the builtin modules this process loaded.
  const preload = path.join(dir, 'modules.js');
  const report = path.join(dir, 'modules.txt');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, process.moduleLoadList.join('\\n')));\n`);
  // stdout and stderr are files, as on a host's branch (a pipe or terminal would load node:net itself).
  const out = openSync(path.join(dir, 'stdout.txt'), 'w');
  try {
    const run = spawnSync(process.execPath, ['-r', preload, tea, 'run', workflow, '--input', path.join(dir, 'in.json'), '--output', path.join(dir, 'out.json')], { stdio: ['ignore', out, out], timeout: 60_000 });
    expect(run.status).toBe(0);
  } finally {
    closeSync(out);
  }
  expect(JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8'))).toMatchObject({ x: 2 });
  const loaded = readFileSync(report, 'utf8').split('\n');
  expect(loaded).toContain('NativeModule fs'); // the report itself is real
  expect(loaded.filter((m) => /^NativeModule (net|tls|crypto|internal\/crypto\/.*)$/.test(m))).toEqual([]);
});
