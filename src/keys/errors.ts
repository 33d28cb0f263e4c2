/**
 * A refused key or tenant operation, with the reason as a code the caller maps to its protocol
 * (tRPC: the same code; CLI: the message on stderr, exit 1).
 */
export type KeysErrorCode = "NOT_FOUND" | "FORBIDDEN" | "BAD_REQUEST";

export class KeysError extends Error {
  constructor(
    readonly code: KeysErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeysError";
  }
}
