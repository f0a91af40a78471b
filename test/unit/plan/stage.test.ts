import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPlan } from '../../../src/plan/gnu-parallel';
import { allScript } from '../../../src/plan/script';
import { stagePlan } from '../../../src/plan/stage';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tea-stage-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const names = ['work', 'new\nline', "it's $(x)"];
const plan = buildPlan({
  flows: names.map((n) => ({ entryPoint: n, exitPoint: 'join' })),
  hosts: [{ id: 'u@h:22', host: 'h', port: 22, user: 'u', slots: 2 }],
  ssh: { knownHosts: '/kh', strictHostKeyChecking: 'yes', connectTimeoutSeconds: 5, keepaliveIntervalSeconds: 5, keepaliveCountMax: 3 },
  remoteDir: '/tmp/w/gp-1',
  tries: 1,
  failFast: false,
  cleanup: true,
  killGraceSeconds: 5,
});

describe('stagePlan', () => {
  it('writes the basefile, workflow, per-branch inputs and NUL-separated sources, private to the user', async () => {
    const basefile = path.join(tmp, 'tea-src');
    writeFileSync(basefile, '#!/bin/sh\necho tea\n', { mode: 0o644 });
    const dir = path.join(tmp, 'staged');
    const flows = names.map((n, i) => ({ entryPoint: n, exitPoint: 'join', state: { i, secret: 's' } }));
    await stagePlan({ dir, plan, flows, basefile, workflowText: 'nodes: []\n', script: { from: 'start\n# not a comment', fanIn: 'join', branches: 3 } });
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    expect(read('args/flow-ids')).toBe('0\u00001\u00002\u0000');
    expect(read('args/entry-points').split('\0')).toEqual([...names, '']);
    expect(read('args/exit-points')).toBe('join\u0000join\u0000join\u0000');
    expect(JSON.parse(read('flows/2/input.json'))).toEqual({ i: 2, secret: 's' });
    expect(read('workflow.yaml')).toBe('nodes: []\n');
    const mode = (f: string) => statSync(path.join(dir, f)).mode & 0o777;
    expect([mode('.'), mode('tea'), mode('workflow.yaml'), mode('flows/0/input.json'), mode('run.sh')]).toEqual([0o700, 0o700, 0o600, 0o600, 0o700]);
  });

  it('writes a run.sh that sh accepts, whose workflow names cannot escape a comment line', async () => {
    const dir = path.join(tmp, 'staged');
    await stagePlan({ dir, plan, flows: [], basefile: process.execPath, workflowText: '', script: { from: 'start\nrm -rf /', fanIn: 'j', branches: 3 } });
    const script = readFileSync(path.join(dir, 'run.sh'), 'utf8');
    execFileSync('sh', ['-n', path.join(dir, 'run.sh')]);
    expect(script.split('\n').filter((l) => l.startsWith('rm -rf /'))).toEqual([]);
    expect(script).toContain(plan.run.line);
    expect(script).toContain(plan.sweep[0]!.line);
    expect(script).toContain('cd -- "$(dirname -- "$0")" || exit 2');
  });

  it('writes the all-fan-outs script so sh accepts it', () => {
    const file = path.join(tmp, 'run.sh');
    writeFileSync(file, allScript(['fanout-1', 'fanout-2']));
    execFileSync('sh', ['-n', file]);
    expect(readFileSync(file, 'utf8')).toContain('./fanout-2/run.sh ||');
  });
});
