import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Basefile } from '../../../../src/remote/host/basefile';
import { codeCacheToShip } from '../../../../src/remote/host/code-cache-ship';

const dir = mkdtempSync(join(tmpdir(), 'tea-ship-'));
const js: Basefile = { localPath: join(dir, 'tea'), sha256: 'a'.repeat(64), size: 10, kind: 'js' };
const linuxNode20 = { os: 'Linux', machine: 'x86_64', node: { version: 'v20.20.2', major: 20 } };
const file = (name: string, mtimeS: number) => {
  writeFileSync(join(dir, name), name);
  utimesSync(join(dir, name), mtimeS, mtimeS);
};

file('tea', 1);
file('tea.0123456789ab-v20.20.2-x64.v8cache', 100);
file('tea.ba9876543210-v20.20.2-x64.v8cache', 200); // a newer build's
file('tea.ffffffffffff-v22.1.0-x64.v8cache', 300); // another Node
file('tea.eeeeeeeeeeee-v20.20.2-arm64.v8cache', 300); // another architecture
file('tea.tmp-123-v20.20.2-x64.v8cache', 400); // not a cache name: a temp file
file('other.0123456789ab-v20.20.2-x64.v8cache', 400); // another file's

describe('the code cache shipped with the JS artifact', () => {
  it('is the newest cache beside the basefile for the host\'s Node version and architecture', () => {
    expect(codeCacheToShip(js, linuxNode20)).toEqual({
      localPath: join(dir, 'tea.ba9876543210-v20.20.2-x64.v8cache'),
      suffix: '.ba9876543210-v20.20.2-x64.v8cache',
    });
    expect(codeCacheToShip(js, { ...linuxNode20, machine: 'aarch64' })?.suffix).toBe('.eeeeeeeeeeee-v20.20.2-arm64.v8cache');
  });

  it('is none for a host with another Node, no Node, an unknown machine, or a binary basefile', () => {
    expect(codeCacheToShip(js, { ...linuxNode20, node: { version: 'v20.11.0', major: 20 } })).toBeNull();
    expect(codeCacheToShip(js, { ...linuxNode20, node: null })).toBeNull();
    expect(codeCacheToShip(js, { ...linuxNode20, machine: 'vax' })).toBeNull();
    expect(codeCacheToShip({ ...js, kind: 'binary' }, linuxNode20)).toBeNull();
  });

  it('is none when the basefile\'s directory cannot be read', () => {
    expect(codeCacheToShip({ ...js, localPath: join(dir, 'missing', 'tea') }, linuxNode20)).toBeNull();
  });
});
