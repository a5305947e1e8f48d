/** The lookup client `guard.lookup.protocol` names: LJS-4 v1, or the private lookup (v2). */
import { durationMs, type GuardConfig } from "../../../config/schema.js";
import { StandardLookupClient, type LookupClient } from "./lookup-client.js";
import { PrivateLookupClient } from "./private-lookup-client.js";

/** Builds the client for `config` with the token already read from its file. */
export function lookupClientFor(
  config: NonNullable<GuardConfig["lookup"]>,
  token: string,
): LookupClient {
  const options = { baseUrl: config.url, token, timeoutMs: durationMs(config.timeout) };
  return config.protocol === "v2"
    ? new PrivateLookupClient({ ...options, setRefreshMs: durationMs(config.set_refresh) })
    : new StandardLookupClient(options);
}
