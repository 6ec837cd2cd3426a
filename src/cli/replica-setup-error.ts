/** A replicated LUN could not be set up at start (wrong setting, wrong volume, wrong size, wrong image): one line, exit 1. */
export class ReplicaSetupError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ReplicaSetupError';
  }
}
