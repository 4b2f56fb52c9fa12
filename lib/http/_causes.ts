// Internals of the HTTP client: reading an error's cause chain (messages,
// Node and undici error codes, the error that carries a field).

/** The `code`s of an error and its causes (Node and undici errors carry one). */
export function codes(error: unknown): string[] {
  const out: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") out.push(code);
    e = e.cause;
  }
  return out;
}

/** Joins the messages of an error and its causes. */
export function causeChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (current instanceof Error) {
      if (!parts.includes(current.message)) parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(": ");
}

/** The first error in a cause chain that has one of the fields. */
export function findIn(
  error: unknown,
  field: string,
): Record<string, unknown> | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (field in e) return e as unknown as Record<string, unknown>;
    e = e.cause;
  }
  return undefined;
}
