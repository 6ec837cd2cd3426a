/** fast-check generators for PDU field structs. */
import fc from 'fast-check';

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u8 = fc.integer({ min: 0, max: 0xff });
export const lun = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const bool = fc.boolean();
export const dataLength = fc.integer({ min: 0, max: 0xffffff });
export const residualFlags = fc.constantFrom([false, false], [true, false], [false, true]);
export const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));
