/**
 * The classes the cache knows without a registration of yours: `URL` (by its `href`), and
 * `Error` with its native subclasses (`TypeError`, `RangeError`, …): fingerprinted by name,
 * message, `cause` and own enumerable properties (`code`, …) — not by `stack`, which names files
 * and lines — and stored with all of those and the stack. (`Date`, `RegExp`, `Map`, `Set` and
 * typed arrays are fingerprinted and stored natively.) A subclass of your own of `Error` needs
 * its own registration.
 *
 * @module
 */
import { errorStack } from "@hamilton-ts/lifecycle/internal";
import { define } from "./codec-registry.js";

define(URL.prototype, "URL").codec = {
  encode: (url: URL) => url.href,
  decode: (href: string) => new URL(href),
} as never;

interface StoredError {
  readonly message: string;
  readonly stack: string | undefined;
  readonly hasCause: boolean;
  readonly cause: unknown;
  readonly props: Record<string, unknown>;
}

const NATIVE_ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError] as const;

for (const ErrorClass of NATIVE_ERRORS) {
  const registration = define(ErrorClass.prototype, ErrorClass.name);
  registration.fingerprint = ((e: Error) => {
    const { message, hasCause, cause, props } = encodeError(e);
    return { message, hasCause, cause, props };
  }) as never;
  registration.codec = {
    encode: encodeError,
    decode: (d: StoredError) => {
      const error = new ErrorClass(d.message);
      if (d.stack === undefined) delete (error as { stack?: string }).stack;
      else Object.defineProperty(error, "stack", { value: d.stack, writable: true, configurable: true });
      if (d.hasCause) Object.defineProperty(error, "cause", { value: d.cause, writable: true, configurable: true });
      Object.assign(error, d.props);
      return error;
    },
  } as never;
}

function encodeError(e: Error): StoredError {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(e)) {
    if (key === "stack" || key === "message" || key === "cause") continue;
    const d = Object.getOwnPropertyDescriptor(e, key);
    if (d === undefined || d.get !== undefined || d.set !== undefined)
      throw new Error(`the error's property "${key}" is an accessor (a getter is never run)`);
    props[key] = d.value;
  }
  const own = (key: string) => Object.getOwnPropertyDescriptor(e, key);
  // On Node 22 and 24 V8 keeps the stack behind its own accessor: read it the way that works on each.
  const stack = errorStack(e);
  const cause = own("cause");
  return {
    message: String(own("message")?.value ?? ""),
    stack: typeof stack === "string" ? stack : undefined,
    hasCause: cause !== undefined,
    cause: cause?.value,
    props,
  };
}
