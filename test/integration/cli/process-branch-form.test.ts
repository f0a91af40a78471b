/**
 * Process branches get the workflow in branch form (a temp file naming the original), load
 * only their scope, and still resolve `require('./x')` beside the workflow file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(60_000);

it('a process branch resolves require beside the workflow file and runs to the same state', async () => {
  const { tea, dir } = installTea();
  writeIn(dir, 'triple.js', 'module.exports = (x) => x * 3;');
  const wf = writeIn(dir, 'wf.yaml', `
settings: { parallel: { strategy: process } }
nodes:
  - { name: start }
  - { name: a, run: "return { a: require('./triple')(state.x), pid: process.pid };" }
  - { name: b, run: "return { b: require('./triple')(state.x + 1), pid: process.pid };" }
  - { name: join, run: "return { results: parallel_results.map((r) => [r.branch, r.success, r.state.a ?? r.state.b]), separate: parallel_results.every((r) => r.state.pid !== process.pid) };" }
edges:
  - { from: start, to: [a, b], type: parallel, fan_in: join }
  - { from: a, to: join }
  - { from: b, to: join }
`);
  const out = path.join(dir, 'out.json');
  const res = await runTea(tea, ['run', wf, '--input', '{"x": 2}', '--output', out, '-q']);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ results: [['a', true, 6], ['b', true, 9]], separate: true });
});
