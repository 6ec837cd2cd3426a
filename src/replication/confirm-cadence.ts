/**
 * How often, under a steady load, both images are made durable so that the changes they
 * hold leave the books (the send queue's shipped ranges, the activity log's hot extents).
 * Each confirmation writes back all that both images hold dirty, work an unreplicated LUN
 * leaves to the page cache, which Linux writes back after 30 s by default
 * (vm.dirty_expire_centisecs): confirming no more often than that costs no writeback the
 * unreplicated LUN would not do too. Measured (docs/performance.md): every 5 s or 256 MiB,
 * a 1 s flush pair every few seconds of scattered 4 KiB writes took 15-20% of the async
 * rate. A pause, a write waiting for activity-log room or a filling journal still confirm at
 * once; a host flush needs no confirmation (its barrier flushes the backup in the shipping).
 */
export const DEFAULT_CONFIRM_EVERY_MS = 30_000;

/** Async mirroring: also after this many bytes shipped (the shipped ranges kept until then cost 33 bytes a change). */
export const DEFAULT_CONFIRM_EVERY_BYTES = 1024 * 1024 * 1024;
