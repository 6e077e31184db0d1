/** The fake Hamilton UI moved to `@hamilton-ts/testing`; this re-export keeps older imports working. */
export {
  type Fault,
  type FailureMode,
  FakeHamiltonUI,
  type FakeHamiltonUIOptions,
  Gate,
  type LoggedRequest,
  type StoredDagRun,
  type StoredNodeRun,
} from "@hamilton-ts/testing";
