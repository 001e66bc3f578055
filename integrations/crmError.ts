import type { CrmFailure } from './crmFailure.js';

/** Thrown by CRM clients: carries the translated failure the workers decide on. */
export class CrmError extends Error {
  constructor(readonly failure: CrmFailure) {
    super(failure.message);
    this.name = 'CrmError';
  }
}
