import { MAX_TRANSFER_BYTES } from '../scsi/limits.js';
/** What we declare and enforce on every connection; the login negotiator offers these. */
export interface TransportLimits {
  /** Our MaxRecvDataSegmentLength in full feature phase. */
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  maxOutstandingR2T: number;
  /** CmdSN window size per session. */
  queueDepth: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  maxRecvDataSegmentLength: 256 * 1024,
  maxBurstLength: 1024 * 1024,
  firstBurstLength: 64 * 1024,
  maxOutstandingR2T: 4,
  queueDepth: 128,
};

/**
 * RFC 7143 §6.1: during login we accept at most 8192-byte data segments, and send no more
 * (the initiator's declared MaxRecvDataSegmentLength applies only after login).
 */
export const LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;

/**
 * A command that asked for data and gets none for this long ends its connection
 * (data-out-watch.ts). Generous against LIO's 3 s: a host's own command timeout is 30 s.
 */
export const DATA_OUT_TIMEOUT_MS = 20_000;

/** Rejects tolerated per connection before we decide the peer is sending junk. */
export const MAX_PROTOCOL_ERRORS = 16;

/**
 * Data-Out buffer bytes one connection may hold at once. Twice the largest transfer, so
 * one maximal write can collect while another runs; further writes wait for their turn.
 */
export const DATA_OUT_BUDGET_BYTES = 2 * MAX_TRANSFER_BYTES;

/**
 * Data-In buffer bytes one connection may hold at once: those of commands about to run
 * (PreparedCommand.dataInLength) and those the socket has not yet written. A peer that
 * reads slowly, or not at all, holds back its own reads instead of filling our memory.
 */
export const DATA_IN_BUDGET_BYTES = 2 * MAX_TRANSFER_BYTES;

/**
 * Commands wait to run while the socket holds more than this unsent (reads' data, within
 * the Data-In budget, plus every answer): a peer that stops reading stops its commands,
 * also one that sends beyond the CmdSN window it was told of.
 */
export const MAX_UNSENT_OUTPUT_BYTES = DATA_IN_BUDGET_BYTES + 8 * 1024 * 1024;

/** `--max-connections`: connections the server holds at once (connection-slots.ts). */
export const DEFAULT_MAX_CONNECTIONS = 256;

/**
 * `--buffer-memory`: the Data-Out and Data-In buffer bytes all connections hold together
 * (each connection's budgets draw on it), so many busy connections cannot add up to more.
 */
export const DEFAULT_BUFFER_MEMORY_BYTES = 1024 * 1024 * 1024;

/** The least `--buffer-memory` that still lets one connection use its whole budget. */
export const MIN_BUFFER_MEMORY_BYTES = Math.max(DATA_OUT_BUDGET_BYTES, DATA_IN_BUDGET_BYTES);
