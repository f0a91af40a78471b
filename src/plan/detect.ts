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
export async function detectGnuParallel(command = 'parallel', timeoutMs = PROBE_TIMEOUT_MS): Promise<GnuParallelDetection> {
  const [parallel, rsync, ssh] = await Promise.all([probe(command, ['--version'], timeoutMs), probe('rsync', ['--version'], timeoutMs), probe('ssh', ['-V'], timeoutMs)]);
  if (parallel.missing) return { found: false, reason: `GNU Parallel not found on PATH ("${command}")` };
  for (const [name, p] of [[`${command} --version`, parallel], ['rsync --version', rsync], ['ssh -V', ssh]] as const) {
    if (p.timedOut) return { found: false, reason: `"${name}" did not finish within ${timeoutMs / 1000}s` };
  }
  const version = /GNU parallel (\d{8})/.exec(parallel.output)?.[1];
  if (version === undefined) {
    const first = parallel.output.split('\n')[0]?.trim() || 'no output';
    return { found: false, reason: `"${command}" on PATH is not GNU Parallel (moreutils' parallel?): ${first}` };
  }
  if (rsync.missing) return { found: false, reason: `GNU Parallel ${version} found, but rsync is not on PATH (it transfers the files)` };
  if (ssh.missing) return { found: false, reason: `GNU Parallel ${version} found, but OpenSSH's ssh is not on PATH` };
  return { found: true, command, version };
}

/**
 * Runs `file args` for its output, within `timeoutMs`. execFile's own `timeout` only sends
 * SIGTERM and then still waits for the output pipes to close, which a program that ignores
 * TERM, or anything it started, can hold open forever: the deadline here stops waiting itself.
 */
function probe(file: string, args: string[], timeoutMs: number): Promise<{ missing: boolean; output: string; timedOut?: true }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      clearTimeout(timer);
      const code = (error as NodeJS.ErrnoException | null)?.code;
      // ssh -V prints on stderr and exits 0; a tool that runs but fails still exists.
      resolve({ missing: code === 'ENOENT' || code === 'EACCES', output: `${stdout}${stderr}` });
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ missing: false, output: '', timedOut: true });
    }, timeoutMs);
  });
}
