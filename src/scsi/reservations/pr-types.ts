/** Persistent reservation types and scopes (SPC-4 §6.16.3, Table 212). */

export const PrType = {
  WRITE_EXCLUSIVE: 0x1,
  EXCLUSIVE_ACCESS: 0x3,
  WRITE_EXCLUSIVE_REGISTRANTS_ONLY: 0x5,
  EXCLUSIVE_ACCESS_REGISTRANTS_ONLY: 0x6,
  WRITE_EXCLUSIVE_ALL_REGISTRANTS: 0x7,
  EXCLUSIVE_ACCESS_ALL_REGISTRANTS: 0x8,
} as const;

export type PrTypeCode = (typeof PrType)[keyof typeof PrType];

/** Only LU_SCOPE exists in SPC-4; the other scope codes are obsolete. */
export const LU_SCOPE = 0x0;

const VALID_TYPES: ReadonlySet<number> = new Set(Object.values(PrType));

export function isValidPrType(type: number): type is PrTypeCode {
  return VALID_TYPES.has(type);
}

/** In the all-registrants types every registered I_T nexus is a reservation holder. */
export function isAllRegistrants(type: number): boolean {
  return type === PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS || type === PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
}

/** Types whose release must be announced to the other registrants (not WE, not EA). */
export function announcesRelease(type: number): boolean {
  return type !== PrType.WRITE_EXCLUSIVE && type !== PrType.EXCLUSIVE_ACCESS;
}

/** REPORT CAPABILITIES PERSISTENT RESERVATION TYPE MASK (bytes 4-5), every type supported. */
export const PR_TYPE_MASK = 0x80 /* WR_EX_AR */ | 0x40 /* EX_AC_RO */ | 0x20 /* WR_EX_RO */ | 0x08 /* EX_AC */ | 0x02; /* WR_EX */
export const PR_TYPE_MASK_BYTE5 = 0x01; /* EX_AC_AR */
