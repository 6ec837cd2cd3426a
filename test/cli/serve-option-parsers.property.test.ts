/**
 * The `tandem serve` option values read by hand (--listen, --lun, --chap/--mutual-chap):
 * whatever a user writes gives either the configuration it spells or one UsageError line,
 * never another exception; and every well-formed value reads back as written — a portal
 * with or without a port (IPv6 in brackets), a LUN path with its options in any order, a
 * CHAP user and a secret that may itself hold colons.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChap, parseLun, parsePortal } from '../../src/cli/serve-options.js';
import { lunConfigOf, lunOptions, lunPath, lunSpec } from './lun-spec.js';
import { readOrRefuse } from './usage-outcome.js';

const port = fc.integer({ min: 0, max: 65535 });

describe('--listen HOST[:PORT]', () => {
  it('reads host names and IPv4 addresses, with or without a port (3260)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.ipV4()), fc.option(port, { nil: undefined }), (host, p) => {
        expect(parsePortal(p === undefined ? host : `${host}:${p}`)).toEqual({ host, port: p ?? 3260 });
      }),
    );
  });

  it('reads IPv6 addresses in brackets, with or without a port', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.option(port, { nil: undefined }), (host, p) => {
        expect(parsePortal(p === undefined ? `[${host}]` : `[${host}]:${p}`)).toEqual({ host, port: p ?? 3260 });
      }),
    );
  });

  it('refuses a port past 65535', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 65536, max: 10 ** 9 }), (host, p) => {
        expect(readOrRefuse(() => parsePortal(`${host}:${p}`))).toBe('refused');
      }),
    );
  });

  it('any text: a portal or one usage line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        const r = readOrRefuse(() => parsePortal(text));
        if (r !== 'refused') expect(Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535 && r.host !== '').toBe(true);
      }),
    );
  });
});

describe('--chap USER:SECRET', () => {
  const user = fc.stringMatching(/^[A-Za-z0-9._@-]{1,20}$/);
  it('splits at the first colon; the secret may hold more', () => {
    fc.assert(
      fc.property(user, fc.string({ minLength: 12, maxLength: 40 }), (u, secret) => {
        fc.pre(Buffer.byteLength(secret) >= 12);
        expect(parseChap(`${u}:${secret}`, '--chap')).toEqual({ user: u, secret });
      }),
    );
  });

  it('refuses a secret shorter than 12 bytes (RFC 7143 §12.1.3), an empty user or no colon', () => {
    fc.assert(
      // Every length up to 11 alike, the boundary included (short strings alone would rarely reach it).
      fc.property(user, fc.nat({ max: 11 }).chain((n) => fc.string({ minLength: n, maxLength: n })), (u, secret) => {
        fc.pre(Buffer.byteLength(secret) < 12);
        expect(readOrRefuse(() => parseChap(`${u}:${secret}`, '--chap'))).toBe('refused');
        expect(readOrRefuse(() => parseChap(`:${secret}0123456789ab`, '--chap'))).toBe('refused');
        expect(readOrRefuse(() => parseChap(u, '--chap'))).toBe('refused');
      }),
    );
  });

  it('any text: credentials or one usage line', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => void readOrRefuse(() => parseChap(text, '--chap'))));
  });
});

describe('--lun PATH[,OPTION]...', () => {
  const spelled = lunSpec(true).chain((spec) => {
    const opts = lunOptions(spec);
    return fc.shuffledSubarray(opts, { minLength: opts.length, maxLength: opts.length }).map((order) => ({ spec, text: [spec.path, ...order].join(',') }));
  });

  it('reads the path and every option, in any order', () => {
    fc.assert(
      fc.property(spelled, ({ spec, text }) => {
        expect(parseLun(text)).toEqual(lunConfigOf(spec));
      }),
    );
  });

  it('refuses a size that is not a whole number of blocks', () => {
    fc.assert(
      fc.property(lunPath, fc.constantFrom(512, 4096), fc.integer({ min: 1, max: 1 << 30 }), (p, blockSize, size) => {
        fc.pre(size % blockSize !== 0);
        expect(readOrRefuse(() => parseLun(`${p},blocksize=${blockSize},size=${size}`))).toBe('refused');
      }),
    );
  });

  it('any text: a LUN or one usage line', () => {
    const piece = fc.constantFrom('readonly', 'size=1G', 'size=', 'blocksize=4096', 'blocksize=1000', 'physical=8k', 'x=y=z', '', 'rbd:p/i', 'conf=/x', 'direct');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 8 })), { maxLength: 5 }), (parts) => void readOrRefuse(() => parseLun(parts.join(',')))),
    );
  });
});
