/** `calls` moved to `@hamilton-ts/testing`; this re-export keeps older imports working. */
export { type Calls, calls } from "@hamilton-ts/testing";
