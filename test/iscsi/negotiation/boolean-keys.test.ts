import { describe, expect, it } from 'vitest';
import { answerMap, offer, targetNegotiator } from './helpers.js';

describe('boolean keys', () => {
  it.each([
    ['Yes', true, 'Yes'],
    ['No', true, 'No'],
    ['Yes', false, 'No'],
  ])('ImmediateData (AND): offer %s, ours %s -> %s', (offered, ours, answer) => {
    const n = targetNegotiator({ immediateData: ours });
    expect(answerMap(n.respond(offer({ ImmediateData: offered })))).toEqual({ ImmediateData: answer });
    expect(n.result().immediateData).toBe(answer === 'Yes');
  });

  it.each([
    ['Yes', false, 'Yes'],
    ['No', false, 'No'],
    ['No', true, 'Yes'],
  ])('InitialR2T (OR): offer %s, ours %s -> %s', (offered, ours, answer) => {
    const n = targetNegotiator({ initialR2T: ours });
    expect(answerMap(n.respond(offer({ InitialR2T: offered })))).toEqual({ InitialR2T: answer });
    expect(n.result().initialR2T).toBe(answer === 'Yes');
  });

  it.each([
    ['Yes', false, 'Yes'],
    ['No', false, 'No'],
    ['No', true, 'Yes'],
  ])('DataPDUInOrder and DataSequenceInOrder (OR): offer %s, ours %s -> %s', (offered, ours, answer) => {
    const n = targetNegotiator({ dataPDUInOrder: ours, dataSequenceInOrder: ours });
    expect(answerMap(n.respond(offer({ DataPDUInOrder: offered, DataSequenceInOrder: offered })))).toEqual({
      DataPDUInOrder: answer,
      DataSequenceInOrder: answer,
    });
    expect(n.result()).toMatchObject({ dataPDUInOrder: answer === 'Yes', dataSequenceInOrder: answer === 'Yes' });
  });

  it('legacy markers are only ever No', () => {
    const n = targetNegotiator();
    expect(answerMap(n.respond(offer({ IFMarker: 'Yes', OFMarker: 'No', OFMarkInt: '2048~8192' })))).toEqual({
      IFMarker: 'No',
      OFMarker: 'No',
      OFMarkInt: 'Irrelevant',
    });
  });

  it.each(['yes', 'true', '1', ''])('non-boolean %j is rejected', (v) => {
    const n = targetNegotiator();
    expect(answerMap(n.respond(offer({ ImmediateData: v })))).toEqual({ ImmediateData: 'Reject' });
    expect(n.result().immediateData).toBe(true);
  });
});
