/**
 * `--source rbd:POOL/IMAGE[,conf=PATH][,id=CLIENT][,op-timeout=SECONDS]` (tandem verify) and
 * the rbd:POOL/IMAGE path itself: a well-formed value reads back as written, options in any
 * order (an id given as client.NAME is NAME); an option with a second '=' is refused, not
 * cut short at it (a conf path read up to its '=' named another file); any text gives a
 * source or one UsageError line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRbdPath, parseRbdSource } from '../../src/cli/rbd-lun.js';
import { readOrRefuse } from './usage-outcome.js';

const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/);
const confPath = fc.stringMatching(/^\/[A-Za-z0-9_./-]{1,30}$/);

const refused = (parse: () => unknown): boolean => readOrRefuse(parse) === 'refused';

describe('rbd:POOL/IMAGE', () => {
  it('reads pool and image', () => {
    fc.assert(
      fc.property(name, name, (pool, image) => {
        expect(parseRbdPath(`rbd:${pool}/${image}`, '--source')).toEqual({ pool, image });
      }),
    );
  });

  it('refuses a snapshot, a nested path, or a missing part', () => {
    fc.assert(
      fc.property(name, name, fc.constantFrom((p: string, i: string) => `rbd:${p}/${i}@snap`, (p: string, i: string) => `rbd:${p}/${i}/x`, (p: string) => `rbd:${p}`, (_p: string, i: string) => `rbd:/${i}`), (pool, image, spell) => {
        expect(refused(() => parseRbdPath(spell(pool, image), '--source'))).toBe(true);
      }),
    );
  });
});

describe('--source rbd:POOL/IMAGE,OPTION...', () => {
  it('reads conf, id and op-timeout in any order', () => {
    const source = fc.record({
      pool: name,
      image: name,
      conf: fc.option(confPath, { nil: undefined }),
      client: fc.option(fc.record({ id: name, prefixed: fc.boolean() }), { nil: undefined }),
      opTimeout: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        source.chain((s) => {
          const opts = [
            ...(s.conf !== undefined ? [`conf=${s.conf}`] : []),
            ...(s.client !== undefined ? [`id=${s.client.prefixed ? 'client.' : ''}${s.client.id}`] : []),
            ...(s.opTimeout !== undefined ? [`op-timeout=${s.opTimeout}`] : []),
          ];
          return fc.shuffledSubarray(opts, { minLength: opts.length, maxLength: opts.length }).map((order) => ({ s, text: [`rbd:${s.pool}/${s.image}`, ...order].join(',') }));
        }),
        ({ s, text }) => {
          expect(parseRbdSource(text, '--source')).toEqual({
            path: `rbd:${s.pool}/${s.image}`,
            readOnly: true,
            blockSize: 512,
            rbd: {
              pool: s.pool,
              image: s.image,
              ...(s.conf !== undefined ? { conf: s.conf } : {}),
              ...(s.client !== undefined ? { client: s.client.id } : {}),
              ...(s.opTimeout !== undefined ? { opTimeout: s.opTimeout } : {}),
            },
          });
        },
      ),
    );
  });

  it("refuses an option with a second '=' rather than cut it short", () => {
    fc.assert(
      fc.property(name, name, confPath, confPath, fc.constantFrom('conf', 'id', 'op-timeout'), (pool, image, a, b, key) => {
        expect(refused(() => parseRbdSource(`rbd:${pool}/${image},${key}=${a}=${b}`, '--source'))).toBe(true);
      }),
    );
  });

  it('any text after the path: a source or one usage line', () => {
    const piece = fc.constantFrom('conf=/etc/ceph/ceph.conf', 'id=admin', 'op-timeout=30', 'op-timeout=0', 'meta=/x', 'size=1G', 'conf=', 'x=y=z', '', 'readonly');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 8 })), { maxLength: 4 }), (parts) => {
        refused(() => parseRbdSource(['rbd:p/i', ...parts].join(','), '--source'));
      }),
    );
  });
});
