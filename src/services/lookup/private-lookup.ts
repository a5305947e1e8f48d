/**
 * The private lookup (LJS-4 v2, docs/private-lookup.md), independent of HTTP. The provider
 * evaluates blinded elements without learning the room; only a report names a room, and
 * only a listed one. Quotas, freezes and hit accounting are the v1 lookup's own
 * (LookupService), so both protocols enforce exactly the same rules.
 *
 * Nothing here logs or stores a blinded element, an evaluated element or an output: a
 * miss leaves no trace of the room at the provider.
 */
import { apiError, type ApiError } from "../../core/errors.js";
import type { Ljs4Hash } from "../../core/ids.js";
import { err, ok, type Result } from "../../core/result.js";
import type { ListMatch } from "../../core/source-list.js";
import type { ListHolder } from "../../list/list-holder.js";
import { encode32, setVersionOf, type EvaluateRequest } from "../../protocol/ljs4-v2.js";
import type { OprfKey, RistrettoOprf } from "../../private-lookup/oprf.js";
import type { ActiveClient } from "./client-registry.js";
import type { LookupAnswer, LookupService } from "./lookup-service.js";
import type { PrivateKeyring } from "./private-keys.js";
import type { BuiltSet, PrivateSets } from "./private-sets.js";

/** Everything the private lookup depends on. */
export interface PrivateLookupDeps {
  readonly lookup: LookupService;
  readonly oprf: RistrettoOprf;
  readonly keys: PrivateKeyring;
  readonly sets: PrivateSets;
  readonly list: ListHolder;
}

const badElement = () =>
  apiError(400, "M_INVALID_PARAM", "an element is not a valid ristretto255 element");
const notLoaded = () => apiError(503, "M_UNKNOWN", "the list is not loaded yet");

/** The v2 operations for an authenticated client. */
export class PrivateLookupService {
  constructor(private readonly deps: PrivateLookupDeps) {}

  /** The keys this client may use, newest first. */
  keys(client: ActiveClient): { key_id: string; public_key: string; retires_at: number | null }[] {
    return this.deps.keys.keysFor(client.name).map(({ key, retiresAt }) => ({
      key_id: key.keyId,
      public_key: encode32(this.deps.oprf.publicKey(key)),
      retires_at: retiresAt,
    }));
  }

  /** The client's listed set under `keyId` (404 when not its key or retired; 503 while built). */
  listedSet(client: ActiveClient, keyId: string): Result<BuiltSet, ApiError> {
    const key = this.key(client, keyId);
    if (!key.ok) return key;
    if (!this.deps.list.ready) return err(notLoaded());
    const built = this.deps.sets.setFor(client, key.value);
    if (built === undefined) {
      return err(apiError(503, "M_UNKNOWN", "the listed set is being built; try again shortly"));
    }
    return ok(built);
  }

  /**
   * One blinded element of one user's join or invite: admitted exactly like a v1 lookup
   * (client and user quotas, the freeze), then multiplied by the client's key.
   */
  evaluate(
    client: ActiveClient,
    keyId: string,
    request: EvaluateRequest,
  ): Result<Uint8Array, ApiError> {
    const key = this.key(client, keyId);
    if (!key.ok) return key;
    const admitted = this.deps.lookup.admitLookup(client, request.userIdHash);
    if (!admitted.ok) return admitted;
    const evaluated = this.deps.oprf.blindEvaluate(key.value, request.blindedElement);
    return evaluated.ok ? evaluated : err(badElement());
  }

  /**
   * A batch for the `directory` scope: every element counts against the directory and the
   * client quotas, all or nothing, like a v1 batch check; never toward a freeze.
   */
  evaluateBatch(
    client: ActiveClient,
    keyId: string,
    blindedElements: readonly Uint8Array[],
  ): Result<Uint8Array[], ApiError> {
    const scope = this.deps.lookup.mayCheck(client);
    if (!scope.ok) return scope;
    const key = this.key(client, keyId);
    if (!key.ok) return key;
    if (!this.deps.list.ready) return err(notLoaded());
    const refusal = this.deps.lookup.consumeCheckQuota(client.name, blindedElements.length);
    if (refusal !== undefined) return err(refusal);
    const out: Uint8Array[] = [];
    for (const element of blindedElements) {
      const evaluated = this.deps.oprf.blindEvaluate(key.value, element);
      if (!evaluated.ok) return err(badElement());
      out.push(evaluated.value);
    }
    return ok(out);
  }

  /**
   * A set hit, named by 32 bytes of y: a listed entry counts toward the freeze exactly like
   * a v1 hit; a false hit (8 bytes shared, 32 not) answers no match.
   */
  async report(
    client: ActiveClient,
    request: { key_id: string; output: Uint8Array; user_id_hash: Ljs4Hash },
  ): Promise<Result<LookupAnswer, ApiError>> {
    const key = this.key(client, request.key_id);
    if (!key.ok) return key;
    if (!this.deps.list.ready) return err(notLoaded());
    const frozen = this.deps.lookup.refuseFrozen(client, request.user_id_hash);
    if (frozen !== undefined) return err(frozen);
    const match = this.matchOutput(client, key.value, request.output);
    if (match === undefined) return ok({ match: false });
    const frozeNow = await this.deps.lookup.countHit(client, request.user_id_hash, match.reportId);
    return ok({ match: true, reportId: match.reportId, tags: match.tags, frozeNow });
  }

  /** Names the listed entries of a batch's set hits (`directory` scope; never counted). */
  resolve(
    client: ActiveClient,
    request: { key_id: string; outputs: readonly Uint8Array[] },
  ): Result<Map<string, ListMatch>, ApiError> {
    const scope = this.deps.lookup.mayCheck(client);
    if (!scope.ok) return scope;
    const key = this.key(client, request.key_id);
    if (!key.ok) return key;
    if (!this.deps.list.ready) return err(notLoaded());
    const listed = new Map<string, ListMatch>();
    for (const output of request.outputs) {
      const match = this.matchOutput(client, key.value, output);
      if (match !== undefined) listed.set(Buffer.from(output).toString("base64url"), match);
    }
    return ok(listed);
  }

  /** The version of the set this client should hold for `keyId` (see `setVersionOf`). */
  setVersion(client: ActiveClient, keyId: string): string | undefined {
    const key = this.deps.keys.key(client.name, keyId);
    const etag = key === undefined ? undefined : this.deps.sets.setFor(client, key)?.set.etag();
    return etag === undefined ? undefined : setVersionOf(etag);
  }

  /** The entry y names in the current list, for this client's tags. */
  private matchOutput(
    client: ActiveClient,
    key: OprfKey,
    output: Uint8Array,
  ): ListMatch | undefined {
    const built = this.deps.sets.setFor(client, key);
    const hash = built?.byOutput.get(Buffer.from(output).toString("base64url"));
    return hash === undefined ? undefined : this.deps.list.list.match(hash, client.effectiveTags);
  }

  private key(client: ActiveClient, keyId: string): Result<OprfKey, ApiError> {
    const key = this.deps.keys.key(client.name, keyId);
    return key === undefined
      ? err(apiError(404, "M_NOT_FOUND", "no such key for this client, or it was retired"))
      : ok(key);
  }
}
