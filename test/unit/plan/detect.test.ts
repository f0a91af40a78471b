import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectGnuParallel } from '../../../src/plan/detect';

// The real GNU Parallel is detected in test/integration/plan; here stand-ins cover the other answers.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tea-detect-'));
  const script = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  script('gnu', 'echo "GNU parallel 20221122"; echo "Copyright (C) 2007-2022 Ole Tange"');
  // Ignores TERM, and leaves a child holding its output: execFile's timeout waited for that child.
  script('hung', "trap '' TERM; sleep 20 & sleep 20");
  script('moreutils', 'echo "parallel: invalid option -- \'-\'" >&2; exit 1');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('detectGnuParallel', () => {
  it('reads the version of GNU Parallel', async () => {
    await expect(detectGnuParallel(path.join(dir, 'gnu'))).resolves.toEqual({ found: true, command: path.join(dir, 'gnu'), version: '20221122' });
  });

  it("tells moreutils' parallel from GNU Parallel", async () => {
    const result = await detectGnuParallel(path.join(dir, 'moreutils'));
    expect(result).toEqual({ found: false, reason: expect.stringMatching(/is not GNU Parallel \(moreutils' parallel\?\): parallel: invalid option/) });
  });

  it('a program that does not answer --version within the probe deadline is a reason, given at the deadline', async () => {
    // Before, this waited for the script's children (20 s): jest's timeout failed it.
    const result = await detectGnuParallel(path.join(dir, 'hung'), 1000);
    expect(result).toEqual({ found: false, reason: `"${path.join(dir, 'hung')} --version" did not finish within 1s` });
  });

  it('reports a missing program as a reason, never an error', async () => {
    await expect(detectGnuParallel(path.join(dir, 'absent'))).resolves.toEqual({ found: false, reason: `GNU Parallel not found on PATH ("${path.join(dir, 'absent')}")` });
  });
});
