/**
 * Opcodes that touch the medium and so fail with NOT READY, MEDIUM NOT PRESENT while a
 * removable medium is ejected (libiscsi NoMedia.NoMediaSBC lists them). Keyed by opcode
 * so advanced commands are covered without their descriptors knowing about media.
 */
const MEDIUM_OPCODES = new Set<number>([
  0x00, // TEST UNIT READY
  0x08, 0x28, 0xa8, 0x88, // READ
  0x0a, 0x2a, 0xaa, 0x8a, // WRITE
  0x25, 0x9e, // READ CAPACITY(10), SERVICE ACTION IN(16): READ CAPACITY(16), GET LBA STATUS
  0x2f, 0xaf, 0x8f, // VERIFY
  0x2e, 0xae, 0x8e, // WRITE AND VERIFY
  0x35, 0x91, // SYNCHRONIZE CACHE
  0x34, 0x90, // PRE-FETCH
  0x41, 0x93, 0x42, // WRITE SAME, UNMAP
  0x89, 0x8b, 0x9c, // COMPARE AND WRITE, ORWRITE, WRITE ATOMIC
  0x37, 0xb7, // READ DEFECT DATA
]);

export function accessesMedium(opcode: number): boolean {
  return MEDIUM_OPCODES.has(opcode);
}
