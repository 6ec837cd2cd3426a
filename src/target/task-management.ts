/**
 * Task management functions (RFC 7143 §11.5-6, SAM-5 §7). The sender's aborted tasks get no
 * response; another I_T nexus's tasks aborted by CLEAR TASK SET, LOGICAL UNIT RESET or a
 * target reset answer TASK ABORTED when the LU's Control page has TAS set, else nothing
 * (SAM-5 §5.6). The TMF response waits until aborted tasks no longer run in the SCSI layer,
 * those ended sessions left running on the LU included: nothing of theirs lands after it.
 */
import { lunFromField } from '../iscsi/pdu/bhs.js';
import { TmfFunction } from '../iscsi/pdu/opcodes.js';
import { encodeTaskMgmtResponse, type TaskMgmtRequestPdu } from '../iscsi/pdu/task-management.js';
import { TmfResponse, type Nexus, type ScsiTargetPort } from '../scsi/types.js';
import type { ResponseChannel } from './data-in.js';
import { serialLt } from '../iscsi/pdu/serial.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/** RFC 7143 §11.6.1 response 4: task allegiance reassignment not supported (ERL0). */
const TASK_REASSIGN_NOT_SUPPORTED = 4;

export interface TmfContext {
  session: Session;
  /** The sessions of every target (CLEAR TASK SET, LU and target resets reach the others too). */
  sessions: SessionRegistry;
}

/**
 * Aborts the tasks on `lun` (every LU when undefined) of every session of the sender's
 * target, the sender's without status, the others' with their LU's TAS answer. Resolves to
 * the other nexuses that had a task aborted without status.
 */
async function abortAll(ctx: TmfContext, scsi: ScsiTargetPort, lun?: number): Promise<readonly Nexus[]> {
  const { session } = ctx;
  const iqn = session.target?.iqn;
  if (iqn !== undefined) return ctx.sessions.abortTasks(iqn, { lun, answer: (l) => scsi.abortedTaskAnswer?.(l), sender: session });
  await session.abortTasks((t) => lun === undefined || t.lun === lun);
  return [];
}

export async function performTmf(ctx: TmfContext, pdu: TaskMgmtRequestPdu): Promise<number> {
  const { session } = ctx;
  const scsi = session.scsi;
  const nexus = session.nexus;
  if (!scsi || !nexus) return TmfResponse.NOT_SUPPORTED;
  const lun = lunFromField(pdu.lun);
  const lunRequired =
    pdu.function === TmfFunction.ABORT_TASK_SET ||
    pdu.function === TmfFunction.CLEAR_TASK_SET ||
    pdu.function === TmfFunction.LOGICAL_UNIT_RESET;
  if (lunRequired && !scsi.hasLun(lun)) return TmfResponse.LUN_DOES_NOT_EXIST;
  switch (pdu.function) {
    case TmfFunction.ABORT_TASK: {
      const task = session.tasks.get(pdu.referencedTaskTag);
      if (!task || task.lun !== lun) {
        // §11.5.1 (b): a referenced command not yet received whose CmdSN is in the window and
        // before the TMF's own counts as received and aborted: its CmdSN is consumed, and the
        // command, should it still arrive, is dropped as a duplicate.
        const notYetReceived = !task && session.window.inWindow(pdu.refCmdSN) && serialLt(pdu.refCmdSN, pdu.cmdSN);
        if (!notYetReceived) return TmfResponse.TASK_DOES_NOT_EXIST;
        session.window.consume(pdu.refCmdSN);
        return TmfResponse.COMPLETE;
      }
      await task.abort();
      return TmfResponse.COMPLETE;
    }
    case TmfFunction.ABORT_TASK_SET:
      await session.abortTasks((t) => t.lun === lun);
      scsi.taskSetCleared(lun, nexus, []);
      return TmfResponse.COMPLETE;
    case TmfFunction.CLEAR_TASK_SET:
      scsi.taskSetCleared(lun, nexus, await abortAll(ctx, scsi, lun));
      return TmfResponse.COMPLETE;
    case TmfFunction.LOGICAL_UNIT_RESET:
      // TAS as it is when the reset comes (the reset itself may set the mode pages back).
      await abortAll(ctx, scsi, lun);
      scsi.lunReset(lun, nexus);
      return TmfResponse.COMPLETE;
    case TmfFunction.TARGET_WARM_RESET:
    case TmfFunction.TARGET_COLD_RESET:
      await abortAll(ctx, scsi);
      scsi.targetReset(nexus, pdu.function === TmfFunction.TARGET_COLD_RESET);
      return TmfResponse.COMPLETE;
    case TmfFunction.TASK_REASSIGN:
      return TASK_REASSIGN_NOT_SUPPORTED;
    default:
      return TmfResponse.NOT_SUPPORTED;
  }
}

export function sendTmfResponse(ch: ResponseChannel, pdu: TaskMgmtRequestPdu, response: number): void {
  ch.out.send(
    encodeTaskMgmtResponse({
      response,
      itt: pdu.itt,
      statSN: ch.takeStatSN(),
      expCmdSN: ch.expCmdSN(),
      maxCmdSN: ch.maxCmdSN(),
    }),
  );
}
