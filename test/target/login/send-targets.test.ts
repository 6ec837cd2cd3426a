import { describe, expect, it } from 'vitest';
import { answerTextRequest, buildSendTargetsResponse, formatHostPort, formatPortalAddress, type SendTargetsContext } from '../../../src/target/send-targets.js';
import { parseTextKeys, TextKeyError } from '../../../src/iscsi/text-keys.js';
import { INITIATOR, makeTarget } from './helpers.js';

const a = makeTarget({ iqn: 'iqn.2024-01.org.example:a' });
const b = makeTarget({ iqn: 'iqn.2024-01.org.example:b', allow: ['iqn.2024-01.org.example:someone-else'] });
const c = makeTarget({ iqn: 'iqn.2024-01.org.example:c', allow: [INITIATOR] });
const discovery: SendTargetsContext = { sessionType: 'Discovery', initiatorName: INITIATOR, targets: [a, b, c], portal: '10.0.0.1:3260,1' };

const list = (buf: Buffer) => parseTextKeys(buf, { allowDuplicates: true }).map((p) => `${p.key}=${p.value}`);

describe('SendTargets', () => {
  it('All in a discovery session lists every target the initiator may log in to', () => {
    expect(list(buildSendTargetsResponse('All', discovery))).toEqual([
      'TargetName=iqn.2024-01.org.example:a',
      'TargetAddress=10.0.0.1:3260,1',
      'TargetName=iqn.2024-01.org.example:c',
      'TargetAddress=10.0.0.1:3260,1',
    ]);
  });

  it('a named target is listed only if it exists and is allowed', () => {
    expect(list(buildSendTargetsResponse(c.iqn, discovery))).toEqual([`TargetName=${c.iqn}`, 'TargetAddress=10.0.0.1:3260,1']);
    expect(list(buildSendTargetsResponse(b.iqn, discovery))).toEqual([]);
    expect(list(buildSendTargetsResponse('iqn.nope', discovery))).toEqual([]);
  });

  it('in a normal session an empty value reports only the session target, All is rejected', () => {
    const normal: SendTargetsContext = { ...discovery, sessionType: 'Normal', sessionTarget: a };
    expect(list(buildSendTargetsResponse('', normal))).toEqual([`TargetName=${a.iqn}`, 'TargetAddress=10.0.0.1:3260,1']);
    expect(list(buildSendTargetsResponse('All', normal))).toEqual(['SendTargets=Reject']);
  });

  it('formats portal addresses, bracketing IPv6 and unmapping IPv4-mapped addresses', () => {
    expect(formatPortalAddress('192.168.1.5', 3260, 1)).toBe('192.168.1.5:3260,1');
    expect(formatPortalAddress('fe80::1', 3261, 2)).toBe('[fe80::1]:3261,2');
    expect(formatPortalAddress('::ffff:10.1.2.3', 3260, 1)).toBe('10.1.2.3:3260,1');
    // The same without the tag: an initiator's address as tandem sessions shows it.
    expect(formatHostPort('::ffff:10.1.2.3', 51234)).toBe('10.1.2.3:51234');
    expect(formatHostPort('::1', 3260)).toBe('[::1]:3260');
  });

  it('answers whole text requests, NotUnderstood for other keys, TextKeyError on garbage', () => {
    const req = Buffer.from('SendTargets=All\0X-foo=1\0');
    expect(list(answerTextRequest(req, discovery))).toContain('X-foo=NotUnderstood');
    expect(() => answerTextRequest(Buffer.from('SendTargets'), discovery)).toThrow(TextKeyError);
  });
});
