/**
 * HMAC-SHA-256, the keyed function a challenge answer applies to an extent's digest (which
 * BlockDevice.digestExtents computes). Runs once per list entry on the event loop, so it is
 * the addon's (about half node:crypto's cost per call); exported here so that the SCSI layer
 * and the verify engine reach the addon only through the block layer.
 */
export { hmacSha256 } from '../native/index.js';
