/**
 * The whitelist in memory: active clients by token hash, with their allowed source
 * addresses and effective tag sets. Refreshed from storage every sync interval, so
 * `redlight clients …` changes reach a running server within seconds, without restart.
 */
import ipaddr from "ipaddr.js";
import { apiError, type ApiError } from "../../core/errors.js";
import { err, ok, type Result } from "../../core/result.js";
import { tokenHash, tokenHashesEqual } from "../../core/token.js";
import type { ClientRecord } from "../../storage/storage.js";

/** A client as the lookup path needs it. */
export interface ActiveClient {
  readonly name: string;
  /** The tags this client's lookups match: server's filtered_tags ∩ the client's own. */
  readonly effectiveTags: ReadonlySet<string>;
  readonly scopes: ReadonlySet<string>;
  allowsAddress(address: string): boolean;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function compileRanges(cidrs: readonly string[]): Range[] {
  return cidrs.flatMap((cidr) => {
    try {
      return [
        cidr.includes("/")
          ? ipaddr.parseCIDR(cidr)
          : ([ipaddr.parse(cidr), cidr.includes(":") ? 128 : 32] as Range),
      ];
    } catch {
      return []; // validated when added; an unreadable range allows nothing
    }
  });
}

function addressAllowed(ranges: readonly Range[], anyAllowed: boolean, address: string): boolean {
  if (anyAllowed) return true;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address); // maps ::ffff:a.b.c.d to IPv4
  } catch {
    return false;
  }
  return ranges.some(
    ([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits),
  );
}

/** Checks a CIDR or address for `clients add --allow-ip`. */
export function isValidRange(text: string): boolean {
  try {
    if (text.includes("/")) ipaddr.parseCIDR(text);
    else ipaddr.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Active clients by token hash. */
export class ClientRegistry {
  private byTokenHash = new Map<string, { record: ClientRecord; client: ActiveClient }>();

  constructor(private readonly serverTags: readonly string[]) {}

  /** Replaces the registry's content with the given records (revoked ones are dropped). */
  replace(records: readonly ClientRecord[]): void {
    const next = new Map<string, { record: ClientRecord; client: ActiveClient }>();
    for (const record of records) {
      if (record.revokedAt !== null) continue;
      const ranges = compileRanges(record.allowIps);
      const anyAllowed = record.allowIps.length === 0;
      const tags =
        record.tags === null
          ? this.serverTags
          : this.serverTags.filter((t) => record.tags?.includes(t));
      next.set(record.tokenHash, {
        record,
        client: {
          name: record.name,
          effectiveTags: new Set(tags),
          scopes: new Set(record.scopes),
          allowsAddress: (address) => addressAllowed(ranges, anyAllowed, address),
        },
      });
    }
    this.byTokenHash = next;
  }

  /** Every active client (to build their private lookup sets ahead of their requests). */
  all(): ActiveClient[] {
    return [...this.byTokenHash.values()].map((entry) => entry.client);
  }

  /** Number of active clients. */
  get size(): number {
    return this.byTokenHash.size;
  }

  /**
   * Authenticates a token. The map is keyed by the token's SHA-256, so the lookup's timing
   * depends only on a digest the caller cannot steer; the final check is constant-time.
   */
  authenticate(token: string): Result<ActiveClient, ApiError> {
    const hash = tokenHash(token);
    const entry = this.byTokenHash.get(hash);
    if (!entry || !tokenHashesEqual(entry.record.tokenHash, hash)) {
      return err(apiError(401, "M_UNKNOWN_TOKEN", "unknown or revoked token"));
    }
    return ok(entry.client);
  }
}
