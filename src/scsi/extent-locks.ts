// The SCSI layer's extent locks are the shared range locks (src/util/range-locks.ts).
export { RangeLocks } from '../util/range-locks.js';
