/** The record factories moved to `@hamilton-ts/testing/records`; this re-export keeps older imports working. */
export { nodeRecord, runRecord, templateRecord } from "@hamilton-ts/testing/records";
