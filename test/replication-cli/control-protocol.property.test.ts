import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ControlProtocolError,
  LineSplitter,
  encodeLine,
  parseControlMessage,
  parseControlRequest,
  parseControlResponse,
  type ControlRequest,
} from '../../src/replication/control/protocol.js';

const request: fc.Arbitrary<ControlRequest> = fc.oneof(
  fc.constantFrom<ControlRequest>({ cmd: 'status' }, { cmd: 'sessions' }, { cmd: 'replicate' }, { cmd: 'pause' }, { cmd: 'resume' }),
  fc.record({ cmd: fc.constant('mode' as const), mode: fc.constantFrom('continuous' as const, 'delta' as const, 'auto' as const) }),
  fc.record({ cmd: fc.constant('mode' as const), mode: fc.constantFrom('continuous' as const, 'auto' as const), flavour: fc.constantFrom('sync' as const, 'async' as const) }),
  fc.record({ cmd: fc.constant('config-set' as const), key: fc.string(), value: fc.string() }),
  fc.record({ cmd: fc.constant('verify' as const), chunk: fc.integer({ min: 1, max: 2 ** 30 }), depth: fc.integer({ min: 1, max: 64 }), repair: fc.constant(true as const) }, { requiredKeys: ['cmd'] }),
);

/** Admin actions aimed at some LUNs: --target and/or --lun. */
const selector = fc
  .record({ target: fc.string({ minLength: 1 }), lun: fc.integer({ min: 0, max: 16383 }) }, { requiredKeys: [] })
  .filter((s) => s.target !== undefined || s.lun !== undefined);
const selected: fc.Arbitrary<ControlRequest> = fc
  .tuple(fc.constantFrom<ControlRequest>({ cmd: 'replicate' }, { cmd: 'pause' }, { cmd: 'resume' }, { cmd: 'mode', mode: 'delta' }, { cmd: 'verify' }), selector)
  .map(([r, select]) => ({ ...r, select }) as ControlRequest);

describe('control protocol codec', () => {
  it('round-trips every request through one line', () => {
    fc.assert(
      fc.property(request, (r) => {
        const line = encodeLine(r);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1)).not.toContain('\n');
        expect(parseControlRequest(line.slice(0, -1))).toEqual(r);
      }),
    );
  });

  it('round-trips admin actions with a LUN selector', () => {
    fc.assert(
      fc.property(selected, (r) => {
        expect(parseControlRequest(encodeLine(r).slice(0, -1))).toEqual(r);
      }),
    );
  });

  it('refuses a verify whose repair is not a boolean', () => {
    for (const repair of [1, 'yes', null, {}]) expect(() => parseControlRequest(JSON.stringify({ cmd: 'verify', repair }))).toThrow(/verify repair must be a boolean/);
  });

  it('refuses malformed selectors with one message', () => {
    for (const select of [[], 'lun 1', { lun: -1 }, { lun: 1.5 }, { lun: 16384 }, { target: '' }, { lun: 1, bogus: 2 }]) {
      expect(() => parseControlRequest(JSON.stringify({ cmd: 'replicate', select }))).toThrow(ControlProtocolError);
    }
  });

  it('random text never throws anything but ControlProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        for (const parse of [parseControlRequest, parseControlResponse, parseControlMessage]) {
          try {
            parse(text);
          } catch (e) {
            expect(e).toBeInstanceOf(ControlProtocolError);
          }
        }
      }),
    );
  });

  it('tells progress reports from responses', () => {
    expect(parseControlMessage(encodeLine({ progress: { done: 3, total: 9 } }).trim())).toEqual({ progress: { done: 3, total: 9 } });
    expect(parseControlMessage(encodeLine({ ok: false, code: 'failed', error: 'x' }).trim())).toEqual({ ok: false, code: 'failed', error: 'x' });
    expect(() => parseControlMessage('{"progress":{"done":"3"}}')).toThrow(ControlProtocolError);
  });

  it('splits lines the same however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\n')), { maxLength: 8 }), fc.array(fc.nat(40), { maxLength: 10 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const splitter = new LineSplitter(1 << 16);
        const out: string[] = [];
        let at = 0;
        for (const c of cuts) {
          const end = Math.min(bytes.length, at + c);
          out.push(...splitter.push(bytes.subarray(at, end)));
          at = end;
        }
        out.push(...splitter.push(bytes.subarray(at)));
        expect(out).toEqual(lines);
      }),
    );
  });

  it('refuses a line longer than its bound before buffering it whole', () => {
    const splitter = new LineSplitter(16);
    splitter.push(Buffer.alloc(10, 0x61));
    expect(() => splitter.push(Buffer.alloc(10, 0x61))).toThrow(ControlProtocolError);
  });
});
