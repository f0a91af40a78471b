import { readFileSync } from 'node:fs';
import { elfMismatch, parseElfHeader } from '../../../../src/remote/host/elf';
import { elfHeader, EM } from '../../../harness/elf';

describe('ELF header', () => {
  it('reads the machine of this machine\'s node binary (a real ELF)', () => {
    const info = parseElfHeader(readFileSync(process.execPath).subarray(0, 64));
    expect(info).toMatchObject({ machine: process.arch === 'x64' ? 'x86_64' : 'aarch64', bits: 64, endian: 'little' });
  });

  it('tells aarch64 from x86_64 and refuses the other architecture', () => {
    const arm = parseElfHeader(elfHeader(EM.aarch64))!;
    expect(arm.machine).toBe('aarch64');
    expect(elfMismatch(arm, 'Linux', 'aarch64')).toBeNull();
    expect(elfMismatch(arm, 'Linux', 'arm64')).toBeNull();
    expect(elfMismatch(arm, 'Linux', 'x86_64')).toBe('it is an ELF binary for aarch64, the host is Linux x86_64');
    expect(elfMismatch(parseElfHeader(elfHeader(EM.x86_64))!, 'Linux', 'x86_64')).toBeNull();
  });

  it('refuses a Linux binary on another OS and a FreeBSD one on Linux', () => {
    expect(elfMismatch(parseElfHeader(elfHeader(EM.x86_64))!, 'Darwin', 'x86_64')).toBe('it is an ELF binary for Linux x86_64, the host runs Darwin x86_64');
    expect(elfMismatch(parseElfHeader(elfHeader(EM.x86_64, 9))!, 'Linux', 'x86_64')).toBe('it is an ELF binary for FreeBSD x86_64, the host runs Linux x86_64');
  });

  it('is null for scripts and short files', () => {
    expect(parseElfHeader(Buffer.from('#!/usr/bin/env node\n'))).toBeNull();
    expect(parseElfHeader(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))).toBeNull();
  });
});
