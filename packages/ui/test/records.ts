/**
 * Record factories for tests that write a store with `FileSink`: the shared ones of
 * `@hamilton-ts/testing/records`, and a template of its first node only (`a`), which the page tests draw.
 */
export { nodeRecord, runRecord, singleNodeTemplate as templateRecord } from "@hamilton-ts/testing/records";
