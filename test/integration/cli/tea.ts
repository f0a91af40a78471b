import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The built dist/tea (see test/integration/global-setup.ts), copied into an empty
 * temp dir so every test also proves it needs no node_modules beside it.
 */
export function installTea(): { tea: string; dir: string } {
  const built = path.resolve(__dirname, '..', '..', '..', 'dist', 'tea');
  if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" (or the integration project's globalSetup)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tea-cli-'));
  const tea = path.join(dir, 'tea');
  copyFileSync(built, tea);
  return { tea, dir };
}

export interface TeaRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface TeaOptions {
  stdin?: string;
  cwd?: string;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Called once the child has started, e.g. to signal it. */
  started?: (pid: number) => void;
}

export function runTea(tea: string, args: string[], options: TeaOptions = {}): Promise<TeaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tea, args, { cwd: options.cwd ?? path.dirname(tea), env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
    if (child.pid !== undefined) options.started?.(child.pid);
  });
}

/** Writes `text` to `name` in `dir` and returns the path. */
export function writeIn(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
