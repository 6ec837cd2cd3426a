import { describe, expect, it } from 'vitest';
import { answerMap, offer, targetNegotiator } from './helpers.js';

describe('discovery session', () => {
  it('answers Irrelevant to normal-session-only keys and still negotiates the rest', () => {
    const n = targetNegotiator({}, 'Discovery');
    const a = answerMap(
      n.respond(
        offer({
          MaxBurstLength: '262144',
          FirstBurstLength: '65536',
          InitialR2T: 'No',
          ImmediateData: 'Yes',
          MaxOutstandingR2T: '1',
          DataPDUInOrder: 'Yes',
          DataSequenceInOrder: 'Yes',
          MaxConnections: '1',
          HeaderDigest: 'None',
          DefaultTime2Wait: '5',
        }),
      ),
    );
    for (const k of ['MaxBurstLength', 'FirstBurstLength', 'InitialR2T', 'ImmediateData', 'MaxOutstandingR2T', 'DataPDUInOrder', 'DataSequenceInOrder', 'MaxConnections']) {
      expect(a[k], k).toBe('Irrelevant');
    }
    expect(a.HeaderDigest).toBe('None');
    expect(a.DefaultTime2Wait).toBe('5');
  });
});
