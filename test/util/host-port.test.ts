import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostAndPort } from '../../src/util/host-port.js';

describe('hostAndPort', () => {
  it('brackets an IPv6 address, once', () => {
    expect(hostAndPort('::1', 3260)).toBe('[::1]:3260');
    expect(hostAndPort('[fe80::1%eth0]', 860)).toBe('[fe80::1%eth0]:860');
    expect(hostAndPort('127.0.0.1', 3260)).toBe('127.0.0.1:3260');
    expect(hostAndPort('storage.example', 3260)).toBe('storage.example:3260');
  });

  it('the port is what follows the last colon, the host what precedes it without brackets', () => {
    const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (h, port) => {
        const text = hostAndPort(h, port);
        const at = text.lastIndexOf(':');
        expect(Number(text.slice(at + 1))).toBe(port);
        expect(text.slice(0, at).replace(/^\[(.*)\]$/, '$1')).toBe(h);
      }),
    );
  });
});
