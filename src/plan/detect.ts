import { execFile } from 'node:child_process';

export type GnuParallelDetection =
  | { found: true; command: string; version: string }
  | { found: false; reason: string };

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Looks for GNU Parallel and what its remote mode needs on this side (OpenSSH's
 * `ssh` and `rsync`). Never required: a missing tool is a reason to use ssh2, not
 * an error. Debian's moreutils ships a different `parallel`, so the version text
 * must say "GNU parallel".
 */
export async function detectGnuParallel(command = 'parallel'): Promise<GnuParallelDetection> {
  const [parallel, rsync, ssh] = await Promise.all([probe(command, ['--version']), probe('rsync', ['--version']), probe('ssh', ['-V'])]);
  if (parallel.missing) return { found: false, reason: `GNU Parallel not found on PATH ("${command}")` };
  const version = /GNU parallel (\d{8})/.exec(parallel.output)?.[1];
  if (version === undefined) {
    const first = parallel.output.split('\n')[0]?.trim() || 'no output';
    return { found: false, reason: `"${command}" on PATH is not GNU Parallel (moreutils' parallel?): ${first}` };
  }
  if (rsync.missing) return { found: false, reason: `GNU Parallel ${version} found, but rsync is not on PATH (it transfers the files)` };
  if (ssh.missing) return { found: false, reason: `GNU Parallel ${version} found, but OpenSSH's ssh is not on PATH` };
  return { found: true, command, version };
}

function probe(file: string, args: string[]): Promise<{ missing: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: PROBE_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      // ssh -V prints on stderr and exits 0; a tool that runs but fails still exists.
      resolve({ missing: code === 'ENOENT' || code === 'EACCES', output: `${stdout}${stderr}` });
    });
  });
}
