/**
 * The SCSI Command PDU's ATTR field (RFC 7143 §11.3.1: 0 untagged, 1 simple, 2 ordered,
 * 3 head of queue, 4 ACA) as the SCSI layer's task attribute. Untagged is taken as simple
 * (the RFC's own reading), and so are the reserved codes 5-7.
 */
import { TaskAttribute } from '../scsi/types.js';

const BY_ISCSI_ATTR: readonly number[] = [TaskAttribute.SIMPLE, TaskAttribute.SIMPLE, TaskAttribute.ORDERED, TaskAttribute.HEAD_OF_QUEUE, TaskAttribute.ACA];

export function taskAttributeOf(iscsiAttr: number): number {
  return BY_ISCSI_ATTR[iscsiAttr] ?? TaskAttribute.SIMPLE;
}
