/**
 * @packageDocumentation
 * `@hamilton-ts/lifecycle/internal`: helpers shared by the hamilton-ts packages themselves (the
 * engine and the adapters), kept here so that each is written once.
 *
 * NOT PUBLIC API: no semver promise. Anything here may change or go away in any release, patch
 * releases included. Applications and third-party adapters should not import it; the public API is
 * `@hamilton-ts/lifecycle`.
 */
export { dataProperty } from "./internal/data-property.js";
export { describeError, MAX_ERROR_DESCRIPTION } from "./internal/describe-error.js";
export { defineErrorMarker, type ErrorMarker, errorOptions } from "./internal/error-class.js";
export { errorStack, setErrorStack } from "./internal/error-stack.js";
export { headOf } from "./internal/head-of.js";
export { isThenable } from "./internal/is-thenable.js";
export { recordClass } from "./internal/record-class.js";
export { redactAndCut } from "./internal/redact-and-cut.js";
export { typeName } from "./internal/type-name.js";
export { WarnOnce } from "./internal/warn-once.js";
