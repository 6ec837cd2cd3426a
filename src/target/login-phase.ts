/**
 * The connection's login phase (RFC 7143 §6): Login Request PDUs go to the negotiator as
 * LoginSteps, its replies go back as Login Responses. StatSN starts here; the final
 * response carries the TSIH that binding the connection to a session produced.
 */
import { encodeLoginResponse, type LoginRequestPdu } from '../iscsi/pdu/login.js';
import type { LoginEnvironment, LoginOutcome, LoginStep, LoginStepReply } from './login-types.js';

/** What `src/target/login.ts` implements (LoginNegotiator). */
export interface Negotiator {
  step(req: LoginStep): LoginStepReply;
  readonly done: boolean;
  readonly outcome?: LoginOutcome;
  readonly failed: boolean;
  /** The InitiatorName of the first request, once known (what a failed authentication counts against). */
  readonly initiatorName?: string;
}

export type NegotiatorFactory = (env: LoginEnvironment) => Negotiator;

export const LoginStatus = {
  INITIATOR_ERROR: [0x02, 0x00],
  AUTHENTICATION_FAILURE: [0x02, 0x01],
  TARGET_NOT_FOUND: [0x02, 0x03],
  TOO_MANY_CONNECTIONS: [0x02, 0x06],
  SESSION_DOES_NOT_EXIST: [0x02, 0x0a],
  TARGET_ERROR: [0x03, 0x00],
  OUT_OF_RESOURCES: [0x03, 0x02],
} as const;

/** First request's identity: later PDUs of the same login must not change it. */
export interface LoginIdentity {
  isid: Buffer;
  tsih: number;
  cid: number;
  itt: number;
}

export type Binding = { ok: true; tsih: number } | { ok: false; statusClass: number; statusDetail: number; reason: string };

export interface LoginHost {
  send(header: Buffer, data?: Buffer): void;
  takeStatSN(): number;
  /** Checks a non-zero TSIH on the first request before any negotiation. */
  precheck(id: LoginIdentity): Binding | undefined;
  /**
   * Called once negotiation succeeded, before the final response goes out; the response
   * waits for a binding that is a promise (an old session's tasks still running).
   */
  bind(outcome: LoginOutcome, id: LoginIdentity, cmdSN: number): Binding | Promise<Binding>;
  /** The last response has been queued; `ok` tells whether to enter full feature phase. */
  finished(ok: boolean, reason: string, outcome?: LoginOutcome): void;
  /**
   * The login failed authentication (status 02 01): records it and returns how many
   * milliseconds to hold back the failure response (auth-failure-throttle.ts).
   */
  authenticationFailed?(initiatorName: string | undefined): number;
}

export class LoginPhase {
  private id?: LoginIdentity;
  private negotiator?: Negotiator;
  private over = false;
  /** The final request is being bound: nothing more is taken meanwhile. */
  private binding = false;
  /** A failed authentication's response, held back until this fires. */
  private heldFailure?: NodeJS.Timeout;

  constructor(
    private readonly host: LoginHost,
    private readonly createNegotiator: () => Negotiator,
    private readonly queueDepth: number,
  ) {}

  handle(pdu: LoginRequestPdu, data: Buffer): void {
    if (this.over || this.binding) return;
    if (!this.id) {
      this.id = { isid: Buffer.from(pdu.isid), tsih: pdu.tsih, cid: pdu.cid, itt: pdu.itt };
      const pre = this.host.precheck(this.id);
      if (pre && !pre.ok) return this.fail(pdu, pre.statusClass, pre.statusDetail, pre.reason);
      this.negotiator = this.createNegotiator();
    } else if (!pdu.isid.equals(this.id.isid) || pdu.tsih !== this.id.tsih || pdu.cid !== this.id.cid) {
      return this.fail(pdu, LoginStatus.INITIATOR_ERROR[0], LoginStatus.INITIATOR_ERROR[1], 'ISID/TSIH/CID changed during login');
    }
    this.id.itt = pdu.itt;
    let reply: LoginStepReply;
    try {
      reply = this.negotiator!.step({
        isid: pdu.isid,
        tsih: pdu.tsih,
        cid: pdu.cid,
        csg: pdu.csg,
        nsg: pdu.nsg,
        transit: pdu.transit,
        continue: pdu.continue,
        versionMax: pdu.versionMax,
        versionMin: pdu.versionMin,
        data,
      });
    } catch (e) {
      return this.fail(pdu, LoginStatus.TARGET_ERROR[0], LoginStatus.TARGET_ERROR[1], `negotiator threw: ${(e as Error).message}`);
    }
    const neg = this.negotiator!;
    if (neg.failed || reply.statusClass !== 0) {
      this.over = true;
      const refuse = (): void => {
        this.heldFailure = undefined;
        this.respond(pdu, reply, 0);
        this.host.finished(false, `login refused (status 0x${hex2(reply.statusClass)}${hex2(reply.statusDetail)})`);
      };
      const [authClass, authDetail] = LoginStatus.AUTHENTICATION_FAILURE;
      // Held back so that secrets cannot be tried at line rate; nothing else is read meanwhile.
      const hold = reply.statusClass === authClass && reply.statusDetail === authDetail ? (this.host.authenticationFailed?.(neg.initiatorName) ?? 0) : 0;
      if (hold > 0) this.heldFailure = setTimeout(refuse, hold);
      else refuse();
      return;
    }
    if (!neg.done) {
      this.respond(pdu, reply, this.id.tsih);
      return;
    }
    const outcome = neg.outcome!;
    const binding = this.host.bind(outcome, this.id, pdu.cmdSN);
    if (!(binding instanceof Promise)) return this.complete(pdu, reply, outcome, binding);
    this.binding = true;
    binding.then(
      (b) => this.complete(pdu, reply, outcome, b),
      (e: unknown) => this.fail(pdu, LoginStatus.TARGET_ERROR[0], LoginStatus.TARGET_ERROR[1], `binding the session failed: ${(e as Error).message}`),
    );
  }

  /** The connection closed: a held-back failure response is not sent. */
  close(): void {
    this.over = true;
    clearTimeout(this.heldFailure);
    this.heldFailure = undefined;
  }

  private complete(pdu: LoginRequestPdu, reply: LoginStepReply, outcome: LoginOutcome, binding: Binding): void {
    if (!binding.ok) return this.fail(pdu, binding.statusClass, binding.statusDetail, binding.reason);
    this.respond(pdu, reply, binding.tsih);
    this.over = true;
    this.host.finished(true, 'login complete', outcome);
  }

  private fail(pdu: LoginRequestPdu, statusClass: number, statusDetail: number, reason: string): void {
    this.respond(pdu, { csg: pdu.csg, nsg: 0, transit: false, continue: false, statusClass, statusDetail, data: Buffer.alloc(0) }, 0);
    this.over = true;
    this.host.finished(false, reason);
  }

  private respond(pdu: LoginRequestPdu, reply: LoginStepReply, tsih: number): void {
    const header = encodeLoginResponse(
      {
        transit: reply.transit,
        continue: reply.continue,
        csg: reply.csg,
        nsg: reply.nsg,
        versionMax: 0,
        versionActive: 0,
        isid: pdu.isid,
        tsih,
        itt: pdu.itt,
        statSN: this.host.takeStatSN(),
        // Login requests are immediate: CmdSN does not advance during login.
        expCmdSN: pdu.cmdSN,
        maxCmdSN: (pdu.cmdSN + this.queueDepth - 1) >>> 0,
        statusClass: reply.statusClass,
        statusDetail: reply.statusDetail,
      },
      reply.data.length,
    );
    this.host.send(header, reply.data);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
