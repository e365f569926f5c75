import type { ErrorInfo } from './contract';

/**
 * An error that carries an ErrorInfo: a stable code, a message that says what went wrong, a hint
 * that says what to do, and details. The core's CoreError and the renderer's ApiError are both
 * this, so an error keeps its shape on either side of the contract.
 */
export class InfoError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(info: ErrorInfo) {
    super(info.message);
    this.code = info.code;
    this.hint = info.hint;
    this.details = info.details;
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}
