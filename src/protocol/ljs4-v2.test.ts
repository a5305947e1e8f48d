import { describe, expect, it } from "vitest";
import { ljs4Hash } from "../core/hash.js";
import {
  EVALUATE_REQUEST_BYTES,
  MAX_EVALUATE_BATCH,
  decodeEvaluateBatchRequest,
  decodeEvaluateRequest,
  decodeEvaluation,
  encodeEvaluateBatchRequest,
  encodeEvaluateRequest,
  encodeEvaluation,
} from "./ljs4-v2.js";

const element = (fill: number) => Buffer.alloc(32, fill);
const user = ljs4Hash("@someone:example.org");

describe("LJS-4 v2 binary evaluations", () => {
  it("an evaluate body is the element then the raw user hash, and decodes back", () => {
    const body = encodeEvaluateRequest({ blindedElement: element(1), userIdHash: user });
    expect(body.length).toBe(EVALUATE_REQUEST_BYTES);
    expect(body.subarray(32).toString("hex")).toBe(user);
    const decoded = decodeEvaluateRequest(body);
    expect(decoded.ok && Buffer.from(decoded.value.blindedElement)).toEqual(element(1));
    expect(decoded.ok && decoded.value.userIdHash).toBe(user);
  });

  it("refuses an evaluate body of any other length", () => {
    for (const length of [0, 1, 32, 63, 65, 128]) {
      const decoded = decodeEvaluateRequest(Buffer.alloc(length, 1));
      expect(decoded.ok).toBe(false);
    }
  });

  it("a batch body is 1 to 100 elements back to back, nothing else", () => {
    const elements = [element(1), element(2), element(3)];
    const decoded = decodeEvaluateBatchRequest(encodeEvaluateBatchRequest(elements));
    expect(decoded.ok && decoded.value.map((e) => Buffer.from(e))).toEqual(elements);
    const full = Buffer.alloc(32 * MAX_EVALUATE_BATCH, 5);
    expect(decodeEvaluateBatchRequest(full).ok).toBe(true);
    for (const bad of [0, 31, 33, 32 * MAX_EVALUATE_BATCH + 32]) {
      expect(decodeEvaluateBatchRequest(Buffer.alloc(bad, 1)).ok).toBe(false);
    }
  });

  it("an answer carries the set version (zero bytes for none) and exactly the elements asked", () => {
    const answer = encodeEvaluation({
      setVersion: "0123456789abcdef",
      evaluatedElements: [element(7), element(8)],
    });
    expect(answer.length).toBe(8 + 64);
    const decoded = decodeEvaluation(answer, 2);
    expect(decoded.ok && decoded.value.setVersion).toBe("0123456789abcdef");
    expect(decoded.ok && decoded.value.evaluatedElements.map((e) => Buffer.from(e))).toEqual([
      element(7),
      element(8),
    ]);
    expect(decodeEvaluation(answer, 1).ok).toBe(false);
    expect(decodeEvaluation(answer, 3).ok).toBe(false);
    const none = decodeEvaluation(
      encodeEvaluation({ setVersion: undefined, evaluatedElements: [element(9)] }),
      1,
    );
    expect(none.ok && none.value.setVersion).toBeUndefined();
  });
});
