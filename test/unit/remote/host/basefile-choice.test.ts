import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasefileCatalog, loadBasefile, nodePlatformOf, type Basefile } from '../../../../src/remote/host/basefile';
import { chooseBasefile, type HostPlatform } from '../../../../src/remote/host/basefile-choice';
import { EM, writeFakeElf } from '../../../harness/elf';

/** A catalog with fixed defaults, so the choice is tested apart from where dist/ is. */
class FixedCatalog extends BasefileCatalog {
  constructor(private readonly js: Basefile | null, private readonly binaries: Record<string, Basefile>, configured: Basefile | null = null) {
    super(configured);
  }
  override jsArtifact(): Basefile | null {
    return this.js;
  }
  override binaryFor(platform: string): Basefile | null {
    return this.binaries[platform] ?? null;
  }
}

const linux = (machine: string, node: string | null): HostPlatform => ({
  os: 'Linux',
  machine,
  node: node === null ? null : { version: node, major: Number(/^v(\d+)/.exec(node)![1]) },
});

describe('basefile choice', () => {
  let dir: string;
  let js: Basefile;
  let x64: Basefile;
  let arm64: Basefile;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tea-choice-'));
    writeFileSync(join(dir, 'tea'), '#!/usr/bin/env node\nconsole.log(1)\n');
    writeFakeElf(join(dir, 'tea-linux-x64'), EM.x86_64);
    writeFakeElf(join(dir, 'tea-linux-arm64'), EM.aarch64);
    js = loadBasefile(join(dir, 'tea'));
    x64 = loadBasefile(join(dir, 'tea-linux-x64'));
    arm64 = loadBasefile(join(dir, 'tea-linux-arm64'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inspects basefiles: a node script, ELF binaries by architecture', () => {
    expect(js.kind).toBe('js');
    expect([x64.kind, x64.elf?.machine]).toEqual(['binary', 'x86_64']);
    expect(arm64.elf?.machine).toBe('aarch64');
    expect(js.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ships the JS artifact to a host with Node >= 18, and says why', () => {
    expect(chooseBasefile(new FixedCatalog(js, { 'linux-x64': x64 }), linux('x86_64', 'v18.19.0'))).toEqual({
      ok: true,
      basefile: js,
      why: 'the host has Node v18.19.0 (>= 18)',
    });
  });

  it('ships the binary for the host\'s architecture to a host without Node or with an old one', () => {
    const catalog = new FixedCatalog(js, { 'linux-x64': x64, 'linux-arm64': arm64 });
    expect(chooseBasefile(catalog, linux('aarch64', null))).toEqual({ ok: true, basefile: arm64, why: 'the host has no node on its PATH' });
    expect(chooseBasefile(catalog, linux('x86_64', 'v16.20.2'))).toEqual({ ok: true, basefile: x64, why: 'the host has Node v16.20.2 (< 18)' });
  });

  it('says what to do when no binary exists for the host', () => {
    const choice = chooseBasefile(new FixedCatalog(js, { 'linux-x64': x64 }), linux('aarch64', null));
    expect(choice).toEqual({
      ok: false,
      reason:
        'the host has no node on its PATH, and there is no standalone tea binary for linux-arm64 (tea-linux-arm64 beside dist/tea): build one (npm run build:binary; other platforms: docs/binary.md), or install Node >= 18 on the host',
    });
  });

  it('refuses a binary whose ELF header does not match its name', () => {
    const choice = chooseBasefile(new FixedCatalog(js, { 'linux-x64': arm64 }), linux('x86_64', null));
    expect(choice).toMatchObject({ ok: false, reason: expect.stringContaining('cannot run there: it is an ELF binary for aarch64, the host is Linux x86_64') });
  });

  it('checks a configured basefile against the host instead of choosing', () => {
    expect(chooseBasefile(new FixedCatalog(js, {}, arm64), linux('aarch64', 'v20.1.0'))).toEqual({ ok: true, basefile: arm64, why: 'set in settings.parallel.remote.basefile' });
    expect(chooseBasefile(new FixedCatalog(js, {}, arm64), linux('x86_64', 'v20.1.0'))).toMatchObject({ ok: false });
    expect(chooseBasefile(new FixedCatalog(null, {}, js), linux('x86_64', null))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('needs Node >= 18 and the host has no node on its PATH'),
    });
  });

  it('maps uname names to the binaries\' platform names', () => {
    expect(nodePlatformOf('Linux', 'x86_64')).toBe('linux-x64');
    expect(nodePlatformOf('Linux', 'aarch64')).toBe('linux-arm64');
    expect(nodePlatformOf('Darwin', 'arm64')).toBe('darwin-arm64');
    expect(nodePlatformOf('SunOS', 'i86pc')).toBeNull();
  });
});
