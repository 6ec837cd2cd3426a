/** 32-bit serial number arithmetic (RFC 1982), as CmdSN/StatSN/DataSN comparisons require. */

export function serialAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** a < b in serial arithmetic. */
export function serialLt(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x80000000;
}

export function serialLte(a: number, b: number): boolean {
  return a >>> 0 === b >>> 0 || serialLt(a, b);
}

export function serialMax(a: number, b: number): number {
  return serialLt(a, b) ? b >>> 0 : a >>> 0;
}
