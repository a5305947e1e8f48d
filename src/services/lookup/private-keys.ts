/**
 * The provider's OPRF keys for the private lookup (docs/private-lookup.md, "Keys, clients
 * and rotation"): one key per client and epoch, derived from one master seed, so the
 * provider stores one secret. During a rotation's overlap a client has two keys, the
 * current epoch's first; a retired key is simply no longer found.
 */
import { hash } from "node:crypto";
import { deriveClientKey } from "../../private-lookup/client-keys.js";
import type { OprfKey, RistrettoOprf } from "../../private-lookup/oprf.js";

/** Where keys come from: the seed and the epochs in service. */
export interface KeyringConfig {
  /** 32 secret bytes. */
  readonly seed: Uint8Array;
  readonly epoch: string;
  readonly previous?: { readonly epoch: string; readonly retiresAt: number };
}

/** A key in service and when it stops being served (`null`: not planned). */
export interface ServedKey {
  readonly key: OprfKey;
  readonly retiresAt: number | null;
}

const LABEL_RE = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * A client's label inside key ids: its name when that fits `[A-Za-z0-9_-]{1,32}`, else a
 * digest of the name (client names may hold dots, which separate the epoch).
 */
export function clientLabel(name: string): string {
  return LABEL_RE.test(name) ? name : `h${hash("sha256", name, "hex").slice(0, 24)}`;
}

/** Reads a seed file's text: 64 hex characters. */
export function parseKeySeed(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new Error("private_lookup.key_seed_file must hold 64 hex characters (32 bytes)");
  }
  return Buffer.from(text, "hex");
}

/** The keys in service, derived on first use and kept. */
export class PrivateKeyring {
  private readonly derived = new Map<string, OprfKey>();

  constructor(
    private readonly oprf: RistrettoOprf,
    private readonly config: KeyringConfig,
    private readonly now: () => number,
  ) {}

  /** The keys `client` may use now, newest first. */
  keysFor(client: string): ServedKey[] {
    const { epoch, previous } = this.config;
    const served: ServedKey[] = [{ key: this.derive(client, epoch), retiresAt: null }];
    if (previous !== undefined && this.now() < previous.retiresAt) {
      served.push({ key: this.derive(client, previous.epoch), retiresAt: previous.retiresAt });
    }
    return served;
  }

  /** The key with this id if it is `client`'s and still served. */
  key(client: string, keyId: string): OprfKey | undefined {
    return this.keysFor(client).find((served) => served.key.keyId === keyId)?.key;
  }

  private derive(client: string, epoch: string): OprfKey {
    const label = clientLabel(client);
    const id = `${label}.${epoch}`;
    let key = this.derived.get(id);
    if (key === undefined) {
      key = deriveClientKey(this.oprf, this.config.seed, label, epoch);
      this.derived.set(id, key);
    }
    return key;
  }
}
