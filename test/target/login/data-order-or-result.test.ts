/**
 * DataPDUInOrder and DataSequenceInOrder have the result function OR (RFC 7143 §13.19-20).
 * data-out.ts only takes Data-Out in order, so the target's Yes must win over an
 * initiator's No: Yes OR No = Yes.
 */
import { describe, expect, it } from 'vitest';
import { LoginNegotiator } from '../../../src/target/login.js';
import { answers, INITIATOR, makeEnv, request, status, TARGET } from './helpers.js';

describe('DataPDUInOrder / DataSequenceInOrder at login', () => {
  it('answers Yes to an initiator offering No', () => {
    const login = new LoginNegotiator(makeEnv());
    const r = login.step(
      request({
        csg: 1,
        nsg: 3,
        transit: true,
        keys: { InitiatorName: INITIATOR, TargetName: TARGET, DataPDUInOrder: 'No', DataSequenceInOrder: 'No' },
      }),
    );
    expect(status(r)).toBe(0);
    expect(answers(r)).toMatchObject({ DataPDUInOrder: 'Yes', DataSequenceInOrder: 'Yes' });
    expect(login.outcome!.params).toMatchObject({ dataPDUInOrder: true, dataSequenceInOrder: true });
  });
});
