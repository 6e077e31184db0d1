/** The protocol scenarios moved to `@hamilton-ts/testing`; this re-export keeps older imports working. */
export {
  KEY,
  PROJECT_ID,
  protocolScenarios,
  type ScenarioBackend,
  type ScenarioNodeRun,
  type ScenarioRun,
  tracerLike,
  USER,
} from "@hamilton-ts/testing/hamilton-ui-scenarios";
