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

  it('reports a missing program as a reason, never an error', async () => {
    await expect(detectGnuParallel(path.join(dir, 'absent'))).resolves.toEqual({ found: false, reason: `GNU Parallel not found on PATH ("${path.join(dir, 'absent')}")` });
  });
});
