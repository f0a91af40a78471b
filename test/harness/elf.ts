import { writeFileSync } from 'node:fs';

/** e_machine codes used by the tests. */
export const EM = { x86_64: 0x3e, aarch64: 0xb7 } as const;

/**
 * The 64-byte header of an ELF64 little-endian executable for `machine`: enough for tea's
 * preflight (which reads only the header) to tell the architecture, without a cross toolchain.
 * The rest of the file is padding: a host would refuse to execute it ("Exec format error").
 */
export function elfHeader(machine: number, osabi = 0): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x7f454c46, 0); // \x7fELF
  h[4] = 2; // ELFCLASS64
  h[5] = 1; // little-endian
  h[6] = 1; // EV_CURRENT
  h[7] = osabi;
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(machine, 18);
  h.writeUInt32LE(1, 20); // e_version
  h.writeUInt16LE(64, 52); // e_ehsize
  return h;
}

/** Writes a fake executable for `machine` of `size` bytes at `path`. */
export function writeFakeElf(path: string, machine: number, size = 4096): void {
  const body = Buffer.alloc(Math.max(size, 64));
  elfHeader(machine).copy(body);
  writeFileSync(path, body, { mode: 0o755 });
}
