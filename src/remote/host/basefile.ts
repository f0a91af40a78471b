import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TeaError } from '../../errors';
import { parseElfHeader, type ElfInfo } from './elf';
import { expandHome } from '../../util/paths';

/**
 * What a basefile is, read from its first bytes: a script run by node (the JS
 * artifact dist/tea: needs Node >= 18 on the host), an ELF executable (the
 * standalone binary: needs a matching OS and architecture), or something we do not
 * check.
 */
export type BasefileKind = 'js' | 'binary' | 'other';

export interface Basefile {
  localPath: string;
  sha256: string;
  size: number;
  kind: BasefileKind;
  /** For kind "binary". */
  elf?: ElfInfo;
}

/** The oldest Node the JS artifact runs on (esbuild target node18). */
export const MIN_NODE_MAJOR = 18;

/** True when this code runs as the standalone binary (a Node SEA: the script is the executable). */
export function isStandaloneBinary(): boolean {
  return __filename === process.execPath;
}

/** This tea's own single-file JS artifact (dist/tea), wherever this code runs from; null in the standalone binary. */
export function defaultBasefilePath(): string | null {
  if (isStandaloneBinary()) return null;
  const candidates = [
    /[\\/]tea$/.test(__filename) ? __filename : null, // running as the bundle itself
    join(__dirname, 'tea'),
    join(__dirname, '..', '..', '..', 'tea'), // dist/lib/remote/host -> dist/tea
    join(__dirname, '..', '..', '..', 'dist', 'tea'), // src/remote/host -> dist/tea (tests)
  ];
  return candidates.find((c): c is string => c !== null && existsSync(c)) ?? null;
}

/**
 * Where this tea's standalone binary for a platform (Node's names: linux-x64,
 * linux-arm64) is: beside the JS artifact (dist/tea-linux-x64), or, when this tea is
 * itself the standalone binary, the running executable for its own platform and its
 * siblings for others.
 */
export function defaultBinaryPath(platform: string): string | null {
  const name = `tea-${platform}`;
  if (isStandaloneBinary()) {
    if (platform === `${process.platform}-${process.arch}`) return process.execPath;
    const sibling = join(dirname(process.execPath), name);
    return existsSync(sibling) ? sibling : null;
  }
  const js = defaultBasefilePath();
  const path = js === null ? null : join(dirname(js), name);
  return path !== null && existsSync(path) ? path : null;
}

/** `uname -s` / `uname -m` -> Node's platform-arch name, as the binaries are named; null when unknown. */
export function nodePlatformOf(os: string, machine: string): string | null {
  const platform = ({ Linux: 'linux', Darwin: 'darwin', FreeBSD: 'freebsd' } as Record<string, string>)[os];
  const arch = (
    {
      x86_64: 'x64', amd64: 'x64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm', armv6l: 'arm',
      i386: 'ia32', i686: 'ia32', ppc64le: 'ppc64', s390x: 's390x', riscv64: 'riscv64',
    } as Record<string, string>
  )[machine];
  return platform === undefined || arch === undefined ? null : `${platform}-${arch}`;
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    return head.subarray(0, readSync(fd, head, 0, 64, 0));
  } finally {
    closeSync(fd);
  }
}

const hashes = new Map<string, string>();

/** Resolves, fingerprints and inspects a file to ship as `tea` (relative paths: from the current directory). */
export function loadBasefile(configured: string | undefined, where = 'settings.parallel.remote.basefile'): Basefile {
  const path = configured === undefined ? defaultBasefilePath() : resolve(expandHome(configured));
  if (path === null) {
    throw new TeaError('E_CONFIG_INVALID', `${where}: not set and this tea's own artifact (dist/tea) was not found: run "npm run build" or set basefile`);
  }
  let size: number;
  let head: Buffer;
  let key: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
    key = `${path}\0${size}\0${stat.mtimeMs}`;
    head = readHead(path);
  } catch (error) {
    throw new TeaError('E_CONFIG_INVALID', `${where}: cannot use ${path}: ${(error as Error).message}`);
  }
  // Hashing the ~85 MiB binary takes ~0.3 s: once per file version per process.
  let sha256 = hashes.get(key);
  if (sha256 === undefined) {
    sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    hashes.set(key, sha256);
  }
  const elf = parseElfHeader(head);
  if (elf !== null) return { localPath: path, sha256, size, kind: 'binary', elf };
  const firstLine = head.toString('latin1').split('\n')[0]!;
  const kind = firstLine.startsWith('#!') && /\bnode\b/.test(firstLine) ? 'js' : 'other';
  return { localPath: path, sha256, size, kind };
}

/** How logs and reports name a basefile: `JS artifact dist/tea (1.8 MiB)`. */
export function describeBasefile(basefile: Basefile): string {
  const what = basefile.kind === 'js' ? 'JS artifact' : basefile.kind === 'binary' ? `standalone binary (${basefile.elf!.machine})` : 'basefile';
  return `${what} ${shortPath(basefile.localPath)} (${formatBytes(basefile.size)})`;
}

function shortPath(path: string): string {
  const parent = basename(dirname(path));
  return parent === '' ? path : `${parent}/${basename(path)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * The basefiles a run may ship, fingerprinted on first use: the configured one, or
 * this tea's JS artifact and its standalone binaries (one per platform).
 */
export class BasefileCatalog {
  readonly #loaded = new Map<string, Basefile | null>();

  constructor(readonly configured: Basefile | null) {}

  /** Fails now (E_CONFIG_INVALID naming the path) when nothing could ever be shipped. */
  static forConfig(configured: string | undefined): BasefileCatalog {
    if (configured !== undefined) return new BasefileCatalog(loadBasefile(configured));
    const catalog = new BasefileCatalog(null);
    if (catalog.jsArtifact() === null && !isStandaloneBinary()) {
      throw new TeaError('E_CONFIG_INVALID', `settings.parallel.remote.basefile: not set and this tea's own artifact (dist/tea) was not found: run "npm run build" or set basefile`);
    }
    return catalog;
  }

  jsArtifact(): Basefile | null {
    return this.#load('js', defaultBasefilePath);
  }

  binaryFor(platform: string): Basefile | null {
    return this.#load(`binary ${platform}`, () => defaultBinaryPath(platform));
  }

  #load(key: string, locate: () => string | null): Basefile | null {
    if (!this.#loaded.has(key)) {
      const path = locate();
      this.#loaded.set(key, path === null ? null : loadBasefile(path, `this tea's ${key} basefile`));
    }
    return this.#loaded.get(key)!;
  }
}
