/**
 * Mode pages (SPC-4 §7.5, SBC-3 §6.4): current values per LU, which bits an initiator may
 * change, and the MODE SELECT parameter-list parser. Saved values are not implemented
 * (PS is 0 everywhere; PC=saved and SP=1 are rejected by the commands).
 */
import type { SharedModeParameters } from '../replica-protocol/index.js';
import { Asc, SenseError, SenseKey, invalidParamField } from './sense.js';

export const PageCode = {
  READ_WRITE_ERROR_RECOVERY: 0x01,
  CACHING: 0x08,
  CONTROL: 0x0a,
  INFORMATIONAL_EXCEPTIONS: 0x1c,
  ALL: 0x3f,
} as const;

export const PageControl = { CURRENT: 0, CHANGEABLE: 1, DEFAULT: 2, SAVED: 3 } as const;

interface PageDefinition {
  code: number;
  /** The whole page (header included) with default values. */
  defaults: readonly number[];
  /** Bits MODE SELECT may change, same layout. */
  changeable: readonly number[];
}

// Each page is in page_0 format: byte 0 page code, byte 1 page length (n - 2).
const DEFINITIONS: readonly PageDefinition[] = [
  {
    code: PageCode.READ_WRITE_ERROR_RECOVERY,
    // AWRE | ARRE: the backing store handles reallocation; nothing to tune.
    defaults: [0x01, 0x0a, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    changeable: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  },
  {
    code: PageCode.CACHING,
    // WCE=1: writes land in the host page cache; SYNCHRONIZE CACHE / FUA make them durable.
    defaults: [0x08, 0x12, 0x04, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0],
    changeable: [0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  },
  {
    code: PageCode.CONTROL,
    // QUEUE ALGORITHM MODIFIER 1 (unrestricted reordering); D_SENSE, SWP and TAS changeable.
    defaults: [0x0a, 0x0a, 0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0, 0, 0],
    changeable: [0, 0, 0x04, 0, 0x08, 0x40, 0, 0, 0, 0, 0, 0],
  },
  {
    code: PageCode.INFORMATIONAL_EXCEPTIONS,
    // DEXCPT: no informational exception reporting.
    defaults: [0x1c, 0x0a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    changeable: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  },
];

export class ModePages {
  private readonly current = new Map<number, Buffer>();

  constructor() {
    for (const d of DEFINITIONS) this.current.set(d.code, Buffer.from(d.defaults));
  }

  /** Control page D_SENSE: descriptor-format sense data. */
  descriptorSense(): boolean {
    return (this.current.get(PageCode.CONTROL)![2]! & 0x04) !== 0;
  }

  /**
   * Control page TAS: a command aborted by another I_T nexus's action (PREEMPT AND ABORT)
   * completes with TASK ABORTED status instead of no status at all (SAM-5 §5.6).
   */
  taskAbortedStatus(): boolean {
    return (this.current.get(PageCode.CONTROL)![5]! & 0x40) !== 0;
  }

  /** Caching page WCE. */
  writeCacheEnabled(): boolean {
    return (this.current.get(PageCode.CACHING)![2]! & 0x04) !== 0;
  }

  /** Control page SWP: software write protect. */
  softwareWriteProtect(): boolean {
    return (this.current.get(PageCode.CONTROL)![4]! & 0x08) !== 0;
  }

  /** The values hosts may change, as the pair shares them (a replicated LU is one LU through both nodes' ports). */
  shared(): SharedModeParameters {
    return {
      writeCache: this.writeCacheEnabled(),
      descriptorSense: this.descriptorSense(),
      softwareWriteProtect: this.softwareWriteProtect(),
      taskAbortedStatus: this.taskAbortedStatus(),
    };
  }

  /** Takes the values a MODE SELECT through the peer's port set; true when any changed here. */
  adoptShared(values: SharedModeParameters): boolean {
    const caching = this.current.get(PageCode.CACHING)!;
    const control = this.current.get(PageCode.CONTROL)!;
    const before = Buffer.concat([caching, control]);
    caching[2] = (caching[2]! & ~0x04) | (values.writeCache ? 0x04 : 0);
    control[2] = (control[2]! & ~0x04) | (values.descriptorSense ? 0x04 : 0);
    control[4] = (control[4]! & ~0x08) | (values.softwareWriteProtect ? 0x08 : 0);
    control[5] = (control[5]! & ~0x40) | (values.taskAbortedStatus ? 0x40 : 0);
    return !before.equals(Buffer.concat([caching, control]));
  }

  static supports(code: number): boolean {
    return code === PageCode.ALL || DEFINITIONS.some((d) => d.code === code);
  }

  /**
   * Encoded page(s) for MODE SENSE. `code` must be supported (the caller validates the CDB);
   * subpage 0 or FFh (all subpages: we have only subpage 0).
   */
  encode(code: number, pageControl: number): Buffer {
    const defs = code === PageCode.ALL ? DEFINITIONS : DEFINITIONS.filter((d) => d.code === code);
    return Buffer.concat(
      defs.map((d) => {
        switch (pageControl) {
          case PageControl.CHANGEABLE: {
            const b = Buffer.from(d.changeable);
            b[0] = d.code;
            b[1] = d.defaults[1]!;
            return b;
          }
          case PageControl.DEFAULT:
            return Buffer.from(d.defaults);
          default:
            return Buffer.from(this.current.get(d.code)!);
        }
      }),
    );
  }

  /**
   * Validate and apply the mode pages of a MODE SELECT parameter list starting at `offset`.
   * All pages are checked before any is applied. Returns whether any value changed.
   * Field pointers are relative to the start of the parameter list.
   */
  select(list: Buffer, offset: number): boolean {
    const staged: Array<{ code: number; page: Buffer }> = [];
    let pos = offset;
    while (pos < list.length) {
      if (pos + 2 > list.length) throw parameterListLengthError();
      const code = list[pos]! & 0x3f;
      if (list[pos]! & 0x40) throw invalidParamField(pos, 6); // SPF: we have no subpages
      const def = DEFINITIONS.find((d) => d.code === code);
      if (!def) throw invalidParamField(pos, 5);
      const length = list[pos + 1]!;
      if (length !== def.defaults.length - 2) throw invalidParamField(pos + 1, 7);
      if (pos + def.defaults.length > list.length) throw parameterListLengthError();
      const cur = this.current.get(code)!;
      const page = Buffer.from(list.subarray(pos, pos + def.defaults.length));
      for (let i = 2; i < page.length; i++) {
        const illegal = (page[i]! ^ cur[i]!) & ~def.changeable[i]! & 0xff;
        if (illegal) throw invalidParamField(pos + i, 31 - Math.clz32(illegal));
      }
      page[0] = cur[0]!;
      staged.push({ code, page });
      pos += def.defaults.length;
    }
    let changed = false;
    for (const { code, page } of staged) {
      const cur = this.current.get(code)!;
      if (!cur.equals(page)) {
        changed = true;
        page.copy(cur);
      }
    }
    return changed;
  }
}

function parameterListLengthError(): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
}
