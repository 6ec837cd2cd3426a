/**
 * The one error the response/VPD decoders throw (the initiator side decodes what a target
 * sent). CDB and parameter-list decoders throw SenseError instead: that is the target's answer.
 */
export class ChallengeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChallengeFormatError';
  }
}
