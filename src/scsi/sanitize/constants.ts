/** SANITIZE (SBC-3 §5.30): the operation code and its service actions. */
export const SANITIZE_OPCODE = 0x48;

export const SanitizeAction = {
  OVERWRITE: 0x01,
  BLOCK_ERASE: 0x02,
  /** Not implemented: Tandem keeps no media encryption key to change. */
  CRYPTO_ERASE: 0x03,
  EXIT_FAILURE_MODE: 0x1f,
} as const;

/** OVERWRITE parameter list header: flags, reserved, INITIALIZATION PATTERN LENGTH. */
export const OVERWRITE_HEADER_BYTES = 4;
