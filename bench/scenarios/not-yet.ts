/** Scenario 4: the directory proxy arrives with a later issue; until then it is reported, not faked. */
import type { ScenarioResult } from "../report.js";

/** Scenario 4's placeholder entry. */
export function directoryProxyScenario(): ScenarioResult {
  return {
    id: "directory-proxy",
    title: "4. directory proxy overhead",
    status: "not yet",
    note: "not yet: needs the guard's directory proxy (a later issue); no number is reported",
    rows: [],
  };
}
