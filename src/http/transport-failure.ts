/**
 * Why a request to another service (the lookup service, the homeserver) got no usable
 * answer, as a value: the kinds are what callers decide on (an outage or not); the text is
 * for logs and alerts and never holds a URL, a token or a body.
 */
export type TransportFailure =
  /** The deadline passed (connect, answer and body included). */
  | { readonly kind: "timeout" }
  /** No connection, or it broke; `code` is the system error code when there is one. */
  | { readonly kind: "unreachable"; readonly code?: string }
  /** The answer was cut off, or the caller gave up. */
  | { readonly kind: "aborted" }
  /** The answer was larger than the protocol allows. */
  | { readonly kind: "too_large" }
  /** An answer came that the protocol does not allow (`detail` says what, never the body). */
  | { readonly kind: "bad_answer"; readonly detail: string };

/** A failure that means the other side cannot be reached right now (not a bad answer). */
export function isOutage(failure: { readonly kind: string }): boolean {
  return (
    failure.kind === "timeout" ||
    failure.kind === "unreachable" ||
    failure.kind === "aborted" ||
    failure.kind === "too_large"
  );
}

/** A short text for logs and alerts. */
export function describeTransportFailure(failure: TransportFailure): string {
  switch (failure.kind) {
    case "timeout":
      return "timeout";
    case "unreachable":
      return failure.code === undefined ? "unreachable" : `unreachable (${failure.code})`;
    case "aborted":
      return "aborted";
    case "too_large":
      return "answer too large";
    case "bad_answer":
      return failure.detail;
  }
}

/** The failure for a system error: its code when it has a plain one, never its message. */
export function failureOfError(e: unknown): TransportFailure {
  const name = (e as { name?: unknown } | undefined)?.name;
  if (name === "TimeoutError") return { kind: "timeout" };
  if (name === "AbortError") return { kind: "aborted" };
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code)
    ? { kind: "unreachable", code }
    : { kind: "unreachable" };
}
