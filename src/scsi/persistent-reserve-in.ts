import type { HandlerPlan } from './descriptor.js';
import type { CommandContext, Nexus } from './types.js';
import { invalidCdbField } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { encodeIscsiTransportId, isAllRegistrants, reservationsOf, type PersistentReservations } from './reservations/index.js';
import { PR_TYPE_MASK, PR_TYPE_MASK_BYTE5, LU_SCOPE } from './reservations/pr-types.js';

/** PERSISTENT RESERVE IN service actions (SPC-4 §6.15). */
export const PrInAction = { READ_KEYS: 0, READ_RESERVATION: 1, REPORT_CAPABILITIES: 2, READ_FULL_STATUS: 3 } as const;

type Registrations = ReturnType<PersistentReservations['list']>;

function readKeys(pr: PersistentReservations, regs: Registrations): Buffer {
  const out = Buffer.alloc(8 + 8 * regs.length);
  out.writeUInt32BE(pr.generation >>> 0, 0);
  out.writeUInt32BE(8 * regs.length, 4);
  regs.forEach(([, r], i) => out.writeBigUInt64BE(r.key, 8 + 8 * i));
  return out;
}

function readReservation(pr: PersistentReservations): Buffer {
  const res = pr.reservation;
  const out = Buffer.alloc(res ? 24 : 8);
  out.writeUInt32BE(pr.generation >>> 0, 0);
  if (!res) return out;
  out.writeUInt32BE(16, 4);
  // All-registrants reservations report key 0 (SPC-4 §6.15.3.3).
  const holderKey = res.holder === undefined ? 0n : (pr.list().find(([k]) => k === res.holder)?.[1].key ?? 0n);
  out.writeBigUInt64BE(isAllRegistrants(res.type) ? 0n : holderKey, 8);
  out[21] = (LU_SCOPE << 4) | res.type;
  return out;
}

function reportCapabilities(pr: PersistentReservations): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16BE(8, 0);
  // CRH (RESERVE/RELEASE defer to PRs), SIP_C (SPEC_I_PT), ATP_C (ALL_TG_PT), PTPL_C (APTPL).
  out[2] = 0x10 | 0x08 | 0x04 | 0x01;
  // TMV: the type mask is valid; ALLOW COMMANDS 0 (not reported); PTPL_A mirrors APTPL.
  out[3] = 0x80 | (pr.aptpl ? 0x01 : 0);
  out[4] = PR_TYPE_MASK;
  out[5] = PR_TYPE_MASK_BYTE5;
  return out;
}

/** `portOf`: the RELATIVE TARGET PORT IDENTIFIER hosts see for a registration's target port. */
function readFullStatus(pr: PersistentReservations, regs: Registrations, portOf: (nexus: Nexus) => number): Buffer {
  const res = pr.reservation;
  const parts: Buffer[] = [];
  for (const [k, r] of regs) {
    const tid = encodeIscsiTransportId({ initiatorName: r.nexus.initiatorName, isid: r.nexus.isid });
    const d = Buffer.alloc(24 + tid.length);
    d.writeBigUInt64BE(r.key, 0);
    const holds = res !== undefined && (isAllRegistrants(res.type) || res.holder === k);
    if (holds) {
      d[12] = 0x01; // R_HOLDER
      d[13] = (LU_SCOPE << 4) | res.type;
    }
    // ALL_TG_PT: one descriptor for the initiator port through every target port (no port named).
    if (r.allTargetPorts) d[12]! |= 0x02;
    else d.writeUInt16BE(portOf(r.nexus) & 0xffff, 18);
    d.writeUInt32BE(tid.length, 20);
    tid.copy(d, 24);
    parts.push(d);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(pr.generation >>> 0, 0);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

export function preparePersistentReserveIn(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const action = cdb[1]! & 0x1f;
  const allocation = cdb.readUInt16BE(7);
  const res = reservationsOf(lu);
  // A host is not shown what the pair registered for itself (its volume tag).
  const seen = () => res.registrationsSeenBy(ctx.nexus);
  let encode: (pr: PersistentReservations) => Buffer;
  switch (action) {
    case PrInAction.READ_KEYS: encode = (pr) => readKeys(pr, seen()); break;
    case PrInAction.READ_RESERVATION: encode = readReservation; break;
    case PrInAction.REPORT_CAPABILITIES: encode = reportCapabilities; break;
    case PrInAction.READ_FULL_STATUS: encode = (pr) => readFullStatus(pr, seen(), (n) => (n.targetName === ctx.nexus.targetName && lu.relativePortOf ? lu.relativePortOf(n) : n.relativePortId)); break;
    default: throw invalidCdbField(1, 4);
  }
  const pr = res.persistent;
  // Refresh the live nexus on our registration so later UAs are addressed correctly.
  pr.registrationOf(ctx.nexus);
  return {
    dataOutLength: 0,
    run: () => {
      const data = encode(pr);
      // Lengths inside the data stay untruncated (SPC-4 §6.15.2); only the transfer is cut.
      return data.length > allocation ? data.subarray(0, allocation) : data;
    },
  };
}
