/**
 * `tandem config set KEY VALUE` values as parseSetting reads them, on the client and the
 * server alike: durations as N, Nms, Ns or Nm; byte rates as a size with an optional "/s"
 * (lowTrafficBytesPerSec also 0); the journal fill as a fraction in (0, 1]; the redundancy
 * limit as any positive number; the split-brain policy by name; retention as its own printed
 * form. Any key and value gives a setting, UnknownKeyError or RangeError — nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPLIT_BRAIN_POLICIES, SETTABLE_KEYS, UnknownKeyError, isSettableKey, parseSetting, type NumericKey } from '../../../src/replication/control/settable.js';
import { formatRetention } from '../../../src/replication/points/retention.js';

const durationKeys = (Object.keys(SETTABLE_KEYS) as NumericKey[]).filter((k) => SETTABLE_KEYS[k].unit === 'ms');
const SCALE = { '': 1, ms: 1, s: 1000, m: 60_000 } as const;
const UNIT = { '': 1, K: 1024, KiB: 1024, KB: 1000, M: 1024 ** 2, MiB: 1024 ** 2, MB: 1000 ** 2, G: 1024 ** 3 } as const;

describe('tandem config set values', () => {
  it('durations: a whole or decimal number, in ms by default or with ms, s or m', () => {
    fc.assert(
      fc.property(fc.constantFrom(...durationKeys), fc.nat({ max: 10 ** 6 }), fc.option(fc.nat({ max: 99 }), { nil: undefined }), fc.constantFrom('', 'ms', 's', 'm' as const), (key, whole, tenths, unit) => {
        const text = tenths === undefined ? `${whole}` : `${whole}.${tenths}`;
        expect(parseSetting(key, `${text}${unit}`)).toEqual({ key, value: Number(text) * SCALE[unit] });
      }),
    );
  });

  it('byte rates: a size, with or without /s; 0 only where it means never', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.constantFrom(...(Object.keys(UNIT) as (keyof typeof UNIT)[])), fc.boolean(), (n, unit, perSecond) => {
        const text = `${n}${unit}${perSecond ? '/s' : ''}`;
        for (const key of ['maxNetInflowBytesPerSec', 'lowTrafficBytesPerSec'] as const) expect(parseSetting(key, text)).toEqual({ key, value: n * UNIT[unit] });
      }),
    );
    expect(parseSetting('lowTrafficBytesPerSec', '0')).toEqual({ key: 'lowTrafficBytesPerSec', value: 0 });
    expect(() => parseSetting('maxNetInflowBytesPerSec', '0')).toThrow(RangeError);
  });

  it('the journal fill: a fraction in (0, 1]; the redundancy limit: any positive number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(1, 0, -0, Number.MIN_VALUE), fc.double({ min: -4, max: 4, noNaN: true })), (v) => {
        const text = String(v);
        if (v > 0 && v <= 1) expect(parseSetting('maxJournalFill', text)).toEqual({ key: 'maxJournalFill', value: v });
        else expect(() => parseSetting('maxJournalFill', text)).toThrow(RangeError);
        if (v > 0) expect(parseSetting('maxRedundancy', text)).toEqual({ key: 'maxRedundancy', value: v });
        else expect(() => parseSetting('maxRedundancy', text)).toThrow(RangeError);
      }),
    );
  });

  it('the split-brain policy by name, spaces around allowed; no other word', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SPLIT_BRAIN_POLICIES), fc.constantFrom('', ' '), (policy, pad) => {
        expect(parseSetting('afterSplitBrain', `${pad}${policy}${pad}`)).toEqual({ key: 'afterSplitBrain', value: policy });
        expect(() => parseSetting('afterSplitBrain', `${policy}x`)).toThrow(RangeError);
      }),
    );
  });

  it('retention: its printed form reads back', () => {
    const count = fc.nat({ max: 999999 });
    fc.assert(
      fc.property(fc.record({ last: count, hourly: count, daily: count }), (policy) => {
        fc.pre(policy.last + policy.hourly + policy.daily > 0);
        expect(parseSetting('retention', formatRetention(policy))).toEqual({ key: 'retention', value: policy });
      }),
    );
  });

  it('any key and value: a setting, UnknownKeyError or RangeError', () => {
    const key = fc.oneof(fc.constantFrom(...(Object.keys(SETTABLE_KEYS) as string[]), 'afterSplitBrain', 'retention'), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(key, fc.string({ maxLength: 16 }), (k, v) => {
        try {
          parseSetting(k, v);
        } catch (e) {
          expect(e).toBeInstanceOf(isSettableKey(k) ? RangeError : UnknownKeyError);
        }
      }),
    );
  });
});
