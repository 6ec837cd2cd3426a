/**
 * What the standard commands of a Tandem target take from Tandem's vendor protocol: the
 * C0h VPD page (served by ../vpd-pages.ts) and MAXIMUM UNMAP LBA COUNT (enforced by
 * ../unmap.ts and advertised in Block Limits VPD B0h), which a replication primary relies on
 * without asking. The rest of src/scsi reaches src/replica-protocol only through this folder.
 */
export { MAX_UNMAP_LBA_COUNT, vendorVpdPage } from '../../replica-protocol/index.js';
