/**
 * RFC 9497 OPRF, mode 0x00 (OPRF), suite ristretto255-SHA512: the core of the private lookup
 * (docs/private-lookup.md). The guard blinds an LJS-4 hash, the provider evaluates the blinded
 * element with its key without learning the hash, the guard unblinds and finalizes the PRF
 * output y = F(k, x) and looks a truncation of y up in the listed set.
 *
 * Group operations are libsodium's (`libsodium-wrappers-sumo`, compiled to WebAssembly):
 * `crypto_scalarmult_ristretto255` multiplies with a fixed-window ladder whose table lookups
 * are conditional moves, so neither branches nor memory addresses depend on the key; the
 * scalar inversion the client does on its blind is a fixed addition chain. The JavaScript
 * around it only copies bytes and never branches on the key.
 */
import { hash, randomBytes } from "node:crypto";
import sodium from "libsodium-wrappers-sumo";
import type { Ljs4Hash } from "../core/ids.js";
import { err, ok, type Result } from "../core/result.js";

/** Ns and Ne for ristretto255 (RFC 9497 §4.1): scalars and elements are 32 bytes. */
export const SCALAR_BYTES = 32;
export const ELEMENT_BYTES = 32;
/** Nh: the output is a SHA-512 digest. */
export const OUTPUT_BYTES = 64;

// contextString = "OPRFV1-" || I2OSP(modeOPRF, 1) || "-" || identifier (RFC 9497 §3.1).
const CONTEXT = Buffer.concat([
  Buffer.from("OPRFV1-", "ascii"),
  Buffer.from([0x00]),
  Buffer.from("-ristretto255-SHA512", "ascii"),
]);
const HASH_TO_GROUP_DST = Buffer.concat([Buffer.from("HashToGroup-", "ascii"), CONTEXT]);
const DERIVE_KEY_PAIR_DST = Buffer.concat([Buffer.from("DeriveKeyPair", "ascii"), CONTEXT]);
const FINALIZE_LABEL = Buffer.from("Finalize", "ascii");
const MAX_INPUT_BYTES = 0xffff;

/** Why an element received from the other party was refused (RFC 9497 DeserializeElement). */
export type ElementError = "element-wrong-length" | "element-not-canonical" | "element-identity";

/**
 * A one-use additive blind for one key, what the guard blinds with (docs/private-lookup.md,
 * "Blinding"): for a random r, `mask` = r·G is added to the input's element and `unmask` =
 * r·pkS is subtracted from the provider's answer, since k·(P + r·G) = k·P + r·pkS. Neither
 * depends on the room, so both are computed ahead of time (`BlindingPool`). Used once: two
 * lookups sharing one would show the provider the difference of their rooms' elements.
 */
export interface AdditiveBlind {
  readonly mask: Uint8Array;
  readonly unmask: Uint8Array;
}

/** The client's state between `blind` and `finalize`: keep `blind` secret and local. */
export interface Blinded {
  readonly blind: Uint8Array;
  readonly blindedElement: Uint8Array;
}

/**
 * The provider's OPRF key: a non-zero scalar and the public id under which its outputs and
 * sets are served (rotation serves two ids during an overlap). The scalar never leaves this
 * object by accident: it does not appear in JSON or in `util.inspect` output (logs).
 */
export class OprfKey {
  readonly #scalar: Uint8Array;

  constructor(
    readonly keyId: string,
    scalar: Uint8Array,
  ) {
    if (scalar.length !== SCALAR_BYTES) throw new RangeError("an OPRF key is a 32-byte scalar");
    this.#scalar = Uint8Array.from(scalar);
  }

  /** The serialized scalar (SerializeScalar), for storing the key in a secret file. */
  exportScalar(): Uint8Array {
    return Uint8Array.from(this.#scalar);
  }

  /** @internal The scalar for the group operations in this file. */
  scalarForEvaluation(): Uint8Array {
    return this.#scalar;
  }

  toJSON(): { keyId: string; scalar: "[redacted]" } {
    return { keyId: this.keyId, scalar: "[redacted]" };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `OprfKey(${this.keyId}, [redacted])`;
  }
}

/** The byte-string length prefix I2OSP(len, 2) of RFC 9497. */
function i2osp2(n: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(n);
  return out;
}

/**
 * expand_message_xmd with SHA-512 (RFC 9380 §5.3.1): b_in_bytes = 64, s_in_bytes = 128.
 * Exported for its own test vectors.
 */
export function expandMessageXmdSha512(
  msg: Uint8Array,
  dst: Uint8Array,
  lenInBytes: number,
): Buffer {
  const ell = Math.ceil(lenInBytes / 64);
  if (ell > 255 || lenInBytes > 0xffff || dst.length > 255) {
    throw new RangeError("expand_message_xmd: length or DST too long");
  }
  const dstPrime = Buffer.concat([dst, Buffer.from([dst.length])]);
  const b0 = hash(
    "sha512",
    Buffer.concat([Buffer.alloc(128), msg, i2osp2(lenInBytes), Buffer.from([0]), dstPrime]),
    "buffer",
  );
  const blocks: Buffer[] = [];
  let previous = hash("sha512", Buffer.concat([b0, Buffer.from([1]), dstPrime]), "buffer");
  blocks.push(previous);
  for (let i = 2; i <= ell; i++) {
    const mixed = Buffer.alloc(64);
    for (let j = 0; j < 64; j++) mixed[j] = (b0[j] ?? 0) ^ (previous[j] ?? 0);
    previous = hash("sha512", Buffer.concat([mixed, Buffer.from([i]), dstPrime]), "buffer");
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, lenInBytes);
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/**
 * The OPRF operations, bound to a ready libsodium instance. Create one with
 * {@link createOprf} (libsodium's WebAssembly loads asynchronously) and pass it around;
 * every method is synchronous.
 */
export class RistrettoOprf {
  private constructor(private readonly na: typeof sodium) {}

  /** Waits for libsodium and returns the OPRF. */
  static async create(): Promise<RistrettoOprf> {
    await sodium.ready;
    return new RistrettoOprf(sodium);
  }

  /** HashToScalar (RFC 9497 §4.1): expand to 64 bytes, read little-endian, reduce mod L. */
  private hashToScalar(msg: Uint8Array, dst: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_scalar_reduce(expandMessageXmdSha512(msg, dst, 64));
  }

  /** HashToGroup: hash_to_ristretto255 (RFC 9380 Appendix B) with the suite's DST. */
  private hashToGroup(input: Uint8Array): Uint8Array {
    return this.na.crypto_core_ristretto255_from_hash(
      expandMessageXmdSha512(input, HASH_TO_GROUP_DST, 64),
    );
  }

  /**
   * RandomScalar, non-zero: 64 random bytes reduced mod L (RFC 9497 §4.7, "extra random
   * bits"; the bias is about 2^-260). Node's CSPRNG is several times faster here than
   * libsodium's `scalar_random`, which calls back into JavaScript for every draw.
   */
  private randomScalar(): Uint8Array {
    for (;;) {
      const scalar = this.na.crypto_core_ristretto255_scalar_reduce(randomBytes(64));
      if (!isAllZero(scalar)) return scalar;
    }
  }

  /** DeserializeElement: a canonical ristretto255 encoding that is not the identity. */
  private checkElement(element: Uint8Array): Result<Uint8Array, ElementError> {
    if (element.length !== ELEMENT_BYTES) return err("element-wrong-length");
    // The identity encodes as 32 zero bytes and nothing else decodes to it.
    if (isAllZero(element)) return err("element-identity");
    if (!this.na.crypto_core_ristretto255_is_valid_point(element)) {
      return err("element-not-canonical");
    }
    return ok(element);
  }

  private checkInput(input: Uint8Array): void {
    if (input.length > MAX_INPUT_BYTES) throw new RangeError("OPRF input longer than 65535 bytes");
  }

  /** DeriveKeyPair (RFC 9497 §3.2.1): the key from a secret 32-byte seed and public info. */
  deriveKey(keyId: string, seed: Uint8Array, info: Uint8Array): OprfKey {
    if (seed.length !== SCALAR_BYTES) throw new RangeError("DeriveKeyPair seed is 32 bytes");
    const deriveInput = Buffer.concat([seed, i2osp2(info.length), info]);
    for (let counter = 0; counter <= 255; counter++) {
      const scalar = this.hashToScalar(
        Buffer.concat([deriveInput, Buffer.from([counter])]),
        DERIVE_KEY_PAIR_DST,
      );
      if (!isAllZero(scalar)) return new OprfKey(keyId, scalar);
    }
    throw new Error("DeriveKeyPairError");
  }

  /** A fresh random key (RandomScalar, uniform in [1, L-1]) for production. */
  generateKey(keyId: string): OprfKey {
    return new OprfKey(keyId, this.randomScalar());
  }

  /** Blind (RFC 9497 §3.3.1) with a fresh random blind. */
  blind(input: Uint8Array): Blinded {
    return this.blindWith(input, this.randomScalar());
  }

  /**
   * Blind with a given blind scalar: only for the RFC's deterministic test vectors and for
   * callers that draw the blind themselves. Reusing a blind links two lookups.
   */
  blindWith(input: Uint8Array, blind: Uint8Array): Blinded {
    this.checkInput(input);
    if (blind.length !== SCALAR_BYTES || isAllZero(blind)) {
      throw new RangeError("a blind is a non-zero 32-byte scalar");
    }
    const inputElement = this.hashToGroup(input);
    // InvalidInputError: hashing to the identity has negligible probability (RFC 9497 §3.3.1).
    if (isAllZero(inputElement)) throw new Error("OPRF input hashes to the identity");
    const blindedElement = this.na.crypto_scalarmult_ristretto255(blind, inputElement);
    return { blind: Uint8Array.from(blind), blindedElement };
  }

  /**
   * BlindEvaluate (RFC 9497 §3.3.1), the provider's one operation per lookup: skS times the
   * client's element. The element is untrusted and checked first; the multiplication is
   * libsodium's constant-time one.
   */
  blindEvaluate(key: OprfKey, blindedElement: Uint8Array): Result<Uint8Array, ElementError> {
    const checked = this.checkElement(blindedElement);
    if (!checked.ok) return checked;
    return ok(this.na.crypto_scalarmult_ristretto255(key.scalarForEvaluation(), checked.value));
  }

  /**
   * Finalize (RFC 9497 §3.3.1): unblinds the provider's answer and hashes it with the input
   * into the 64-byte output y. The evaluated element comes from the provider: checked first.
   */
  finalize(
    input: Uint8Array,
    blind: Uint8Array,
    evaluatedElement: Uint8Array,
  ): Result<Uint8Array, ElementError> {
    return this.unblindAndHash(input, evaluatedElement, (element) =>
      this.na.crypto_scalarmult_ristretto255(
        this.na.crypto_core_ristretto255_scalar_invert(blind),
        element,
      ),
    );
  }

  /** The key's public element pkS = skS·G (RFC 9497 §3.2), served beside its key id. */
  publicKey(key: OprfKey): Uint8Array {
    return this.na.crypto_scalarmult_ristretto255_base(key.scalarForEvaluation());
  }

  /** A public key received from the provider, checked like any element it sends. */
  checkPublicKey(publicKey: Uint8Array): Result<Uint8Array, ElementError> {
    return this.checkElement(publicKey);
  }

  /**
   * A fresh additive blind for the key whose public element is `publicKey` (checked with
   * {@link checkPublicKey}): one fixed-base and one variable-base multiplication.
   */
  additiveBlind(publicKey: Uint8Array): AdditiveBlind {
    const r = this.randomScalar();
    return {
      mask: this.na.crypto_scalarmult_ristretto255_base(r),
      unmask: this.na.crypto_scalarmult_ristretto255(r, publicKey),
    };
  }

  /**
   * The blinded element P + r·G of an input under an additive blind: as random to the
   * provider as RFC 9497's r·P (r·G is uniform whatever P is), and one point addition
   * instead of a scalar multiplication.
   */
  blindAdditively(input: Uint8Array, blind: AdditiveBlind): Uint8Array {
    this.checkInput(input);
    const inputElement = this.hashToGroup(input);
    if (isAllZero(inputElement)) throw new Error("OPRF input hashes to the identity");
    return this.na.crypto_core_ristretto255_add(inputElement, blind.mask);
  }

  /**
   * Finalize for an additive blind: k·P = E − r·pkS, then RFC 9497's Finalize hash, so the
   * output is the same y = F(k, x). The evaluated element comes from the provider: checked
   * first, and so is what is left once the blind is taken off.
   */
  finalizeAdditively(
    input: Uint8Array,
    blind: AdditiveBlind,
    evaluatedElement: Uint8Array,
  ): Result<Uint8Array, ElementError> {
    return this.unblindAndHash(input, evaluatedElement, (element) =>
      this.na.crypto_core_ristretto255_sub(element, blind.unmask),
    );
  }

  /**
   * Both finalizes: the provider's element checked, the blind taken off, what is left
   * refused if it is the identity, then RFC 9497's Finalize hash with the input.
   */
  private unblindAndHash(
    input: Uint8Array,
    evaluatedElement: Uint8Array,
    unblind: (element: Uint8Array) => Uint8Array,
  ): Result<Uint8Array, ElementError> {
    this.checkInput(input);
    const checked = this.checkElement(evaluatedElement);
    if (!checked.ok) return checked;
    const unblinded = unblind(checked.value);
    if (isAllZero(unblinded)) return err("element-identity");
    return ok(this.finalHash(input, unblinded));
  }

  /** Evaluate (RFC 9497 §3.3.1): the full PRF for one who holds the key and the input. */
  evaluate(key: OprfKey, input: Uint8Array): Uint8Array {
    this.checkInput(input);
    const inputElement = this.hashToGroup(input);
    if (isAllZero(inputElement)) throw new Error("OPRF input hashes to the identity");
    const issued = this.na.crypto_scalarmult_ristretto255(key.scalarForEvaluation(), inputElement);
    return this.finalHash(input, issued);
  }

  private finalHash(input: Uint8Array, element: Uint8Array): Uint8Array {
    return hash(
      "sha512",
      Buffer.concat([i2osp2(input.length), input, i2osp2(element.length), element, FINALIZE_LABEL]),
      "buffer",
    );
  }
}

/** Waits for libsodium and returns the OPRF operations. */
export function createOprf(): Promise<RistrettoOprf> {
  return RistrettoOprf.create();
}

/**
 * The OPRF input for a room: the 32 raw bytes of its LJS-4 hash, not the 64-character hex
 * text. Raw bytes are the canonical form (hex has two cases) and match the compact list,
 * which already keeps hashes as raw bytes (docs/private-lookup.md, "Input").
 */
export function oprfInputFromLjs4Hash(roomHash: Ljs4Hash): Buffer {
  return Buffer.from(roomHash, "hex");
}
