/**
 * Limits the SCSI layer advertises (VPD B0h) and enforces, shared with the transport
 * (which bounds Data-Out buffers by MAX_TRANSFER_BYTES) and the advanced commands.
 * MAXIMUM UNMAP LBA COUNT is in src/replica-protocol: a replication primary relies on it too.
 */

/** Largest single READ/WRITE/VERIFY data transfer, in bytes. */
export const MAX_TRANSFER_BYTES = 32 * 1024 * 1024;

/** Preferred transfer size reported as OPTIMAL TRANSFER LENGTH, in bytes. */
export const OPTIMAL_TRANSFER_BYTES = 1024 * 1024;

/** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
export const MAX_UNMAP_DESCRIPTORS = 256;

/** MAXIMUM WRITE SAME LENGTH, in blocks. */
export const MAX_WRITE_SAME_BLOCKS = 1024 * 1024;

/** MAXIMUM COMPARE AND WRITE LENGTH, in blocks (the VPD field is one byte). */
export const MAX_COMPARE_AND_WRITE_BLOCKS = 255;

/** Upper bound on nexuses one LU tracks, so a peer cycling sessions cannot grow state forever. */
export const MAX_TRACKED_NEXUSES = 4096;

/** Largest WRITE ATOMIC(16), in bytes (MAXIMUM ATOMIC TRANSFER LENGTH is this in blocks). */
export const MAX_ATOMIC_WRITE_BYTES = 1024 * 1024;
