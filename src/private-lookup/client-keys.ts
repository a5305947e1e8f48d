/**
 * Per-client OPRF keys derived from one master seed (docs/private-lookup.md, "Keys, clients
 * and rotation"): each client gets a key and so a listed set of its own, and the provider
 * stores one secret instead of a key per client and epoch.
 */
import { isValidKeyId } from "./listed-set.js";
import type { OprfKey, RistrettoOprf } from "./oprf.js";

const CLIENT_RE = /^[A-Za-z0-9_-]{1,32}$/;
const EPOCH_RE = /^[A-Za-z0-9_-]{1,16}$/;

/**
 * The key of `client` for `epoch`: RFC 9497 DeriveKeyPair(master seed, info), info =
 * `redlight-v2|<client>|<epoch>`, with key id `<client>.<epoch>`. The dot cannot occur in
 * either part, so distinct (client, epoch) pairs never share a key id or an info string.
 */
export function deriveClientKey(
  oprf: RistrettoOprf,
  masterSeed: Uint8Array,
  client: string,
  epoch: string,
): OprfKey {
  if (!CLIENT_RE.test(client)) throw new RangeError("client name: 1-32 of [A-Za-z0-9_-]");
  if (!EPOCH_RE.test(epoch)) throw new RangeError("epoch: 1-16 of [A-Za-z0-9_-]");
  const keyId = `${client}.${epoch}`;
  if (!isValidKeyId(keyId)) throw new RangeError("invalid key id");
  return oprf.deriveKey(keyId, masterSeed, Buffer.from(`redlight-v2|${client}|${epoch}`, "ascii"));
}
