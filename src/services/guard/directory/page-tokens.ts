/**
 * The directory proxy's own paging tokens for the client API. Synapse's `next_batch` and
 * `prev_batch` name the room at the page boundary (synapse-token.ts) — often a room the
 * filter hid — so the guard never hands one out: it seals it with AES-256-GCM under a key
 * made at start, held only in this process's memory, with an expiry, and opens the token
 * when the client sends it back as `since`.
 *
 * A sealed token is unpadded base64url of `version ‖ 12-byte nonce ‖ ciphertext ‖ tag`.
 * The plaintext is `expiry (ms, 8 bytes) ‖ length (2 bytes) ‖ upstream token`, padded
 * with zeros to a multiple of 256 bytes so the length does not tell how long the room id
 * is. The additional data binds a token to the API and the `server` it was issued for.
 * A restart makes every token invalid: the client starts again from the first page.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { err, ok, type Result } from "../../../core/result.js";

const VERSION = 1;
const NONCE = 12;
const TAG = 16;
const PAD = 256;
const HEAD = 10;
/** Upstream tokens longer than this are not sealed (Synapse's are under 200 bytes). */
export const MAX_UPSTREAM_TOKEN = 4096;

/** Why a token did not open. Each is answered the same way (`M_INVALID_PARAM`). */
export type PageTokenProblem = "malformed" | "forged" | "expired";

/** Seals and opens the client API's paging tokens. */
export class PageTokens {
  private constructor(
    private readonly key: Buffer,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Tokens under a fresh random key that never leaves this process. */
  static random(ttlMs: number, now: () => number = Date.now): PageTokens {
    return new PageTokens(randomBytes(32), ttlMs, now);
  }

  /**
   * The token to hand out for `upstream`, valid for the `scope` it was issued in
   * (the API and the `server` searched); undefined when the upstream token is too long.
   */
  seal(upstream: string, scope: string): string | undefined {
    const token = Buffer.from(upstream, "utf8");
    if (token.length > MAX_UPSTREAM_TOKEN) return undefined;
    const plain = Buffer.alloc(Math.ceil((HEAD + token.length) / PAD) * PAD);
    plain.writeDoubleBE(this.now() + this.ttlMs, 0);
    plain.writeUInt16BE(token.length, 8);
    token.copy(plain, HEAD);
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    cipher.setAAD(additionalData(scope));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, sealed, cipher.getAuthTag()]).toString(
      "base64url",
    );
  }

  /** The upstream token inside `token`, if this process sealed it for `scope` and it is fresh. */
  open(token: string, scope: string): Result<string, PageTokenProblem> {
    const longest = Math.ceil(((1 + NONCE + TAG + HEAD + MAX_UPSTREAM_TOKEN + PAD) * 4) / 3);
    if (token.length > longest || !/^[A-Za-z0-9_-]+$/.test(token)) return err("malformed");
    const bytes = Buffer.from(token, "base64url");
    if (bytes.length < 1 + NONCE + PAD + TAG || bytes[0] !== VERSION) return err("malformed");
    const nonce = bytes.subarray(1, 1 + NONCE);
    const tag = bytes.subarray(bytes.length - TAG);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, nonce);
      decipher.setAAD(additionalData(scope));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([
        decipher.update(bytes.subarray(1 + NONCE, bytes.length - TAG)),
        decipher.final(),
      ]);
    } catch {
      return err("forged"); // wrong key, scope, or any byte changed
    }
    if (!(plain.readDoubleBE(0) > this.now())) return err("expired");
    const length = plain.readUInt16BE(8);
    if (HEAD + length > plain.length) return err("forged");
    return ok(plain.subarray(HEAD, HEAD + length).toString("utf8"));
  }
}

function additionalData(scope: string): Buffer {
  return Buffer.from(`redlight directory page token v${VERSION}\u0000${scope}`, "utf8");
}
