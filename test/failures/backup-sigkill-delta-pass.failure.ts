/**
 * Failure matrix 6: SIGKILL the backup during a delta pass; after restart its image equals
 * either the previous or the new consistent image (hashes recorded at both points), then
 * converges. Needs snapshot-based passes (point-in-time source on the primary, staged or
 * snapshotted apply on the backup), which the engine does not have yet.
 */
import { test } from 'vitest';

test.todo('6: SIGKILL the backup during a delta pass → previous or new consistent image, then converges (needs snapshot-based passes)');
