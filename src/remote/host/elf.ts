/**
 * Just enough of the ELF header to tell which machine a binary is for, so a binary
 * for another architecture is refused before it is uploaded (a host would only say
 * "Exec format error" after the upload).
 */
export interface ElfInfo {
  /** `uname -m` of the machine it runs on, e.g. x86_64, aarch64; `e_machine N` when unknown to us. */
  machine: string;
  bits: 32 | 64;
  endian: 'little' | 'big';
  /** ELF OS/ABI byte: 0 (System V) and 3 (GNU) are what Linux binaries carry. */
  osabi: number;
}

/** e_machine -> the `uname -m` names of machines that run it. */
const MACHINES: Record<number, { name: string; uname: string[] }> = {
  0x03: { name: 'i386', uname: ['i386', 'i486', 'i586', 'i686'] },
  0x28: { name: 'arm', uname: ['armv6l', 'armv7l', 'armv8l'] },
  0x3e: { name: 'x86_64', uname: ['x86_64', 'amd64'] },
  0xb7: { name: 'aarch64', uname: ['aarch64', 'arm64'] },
  0x15: { name: 'ppc64', uname: ['ppc64', 'ppc64le'] },
  0x16: { name: 's390x', uname: ['s390x'] },
  0xf3: { name: 'riscv64', uname: ['riscv64'] },
};

const OSABI_NAMES: Record<number, string> = { 0: 'Linux', 3: 'Linux', 9: 'FreeBSD' };

/** Parses the first bytes of a file; null when it is not an ELF file. */
export function parseElfHeader(head: Buffer): ElfInfo | null {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
  const bits = head[4] === 2 ? 64 : 32;
  const endian = head[5] === 2 ? 'big' : 'little';
  const code = endian === 'little' ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { machine: MACHINES[code]?.name ?? `e_machine ${code}`, bits, endian, osabi: head[7]! };
}

/** Why an ELF binary cannot run on a host with this `uname -s` / `uname -m`, or null when it can. */
export function elfMismatch(elf: ElfInfo, os: string, machine: string): string | null {
  const elfOs = OSABI_NAMES[elf.osabi] ?? `OS/ABI ${elf.osabi}`;
  if (elfOs !== os) return `it is an ELF binary for ${elfOs} ${elf.machine}, the host runs ${os} ${machine}`;
  const runs = Object.values(MACHINES).find((m) => m.name === elf.machine)?.uname ?? [];
  if (!runs.includes(machine)) return `it is an ELF binary for ${elf.machine}, the host is ${os} ${machine}`;
  return null;
}
