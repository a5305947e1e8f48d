import { describe, expect, it } from "vitest";
import type { UserId } from "../../../core/ids.js";
import { ok } from "../../../core/result.js";
import type { MatrixCall } from "./matrix-http.js";
import { SynapsePolicyExemptions } from "./policy-exemptions.js";

const answer = (status: number, body: unknown) => Promise.resolve(ok({ status, body }));

describe("SynapsePolicyExemptions", () => {
  it("exempts server admins and alert-room moderators (power level ≥ 50), and remembers", async () => {
    let adminCalls = 0;
    const admin: MatrixCall = (_m, path) => {
      adminCalls++;
      if (path.includes("%40remote%3Aother.example")) return answer(400, { errcode: "M_UNKNOWN" });
      return answer(200, { admin: path.includes("%40admin%3A") });
    };
    const alertCall: MatrixCall = () =>
      answer(200, {
        users: { "@mod:example.org": 50, "@helper:example.org": 49 },
        users_default: 0,
      });
    const failures: string[] = [];
    const exemptions = new SynapsePolicyExemptions({
      admin,
      alertRoom: { call: alertCall, roomId: "!alerts:example.org" },
      now: () => 1000,
      onFailure: (what) => failures.push(what),
    });
    expect(await exemptions.isExempt("@admin:example.org" as UserId)).toBe(true);
    expect(await exemptions.isExempt("@mod:example.org" as UserId)).toBe(true);
    expect(await exemptions.isExempt("@helper:example.org" as UserId)).toBe(false);
    expect(await exemptions.isExempt("@remote:other.example" as UserId)).toBe(false);
    const calls = adminCalls;
    expect(await exemptions.isExempt("@admin:example.org" as UserId)).toBe(true);
    expect(adminCalls).toBe(calls); // remembered
    expect(failures).toEqual([]);
  });

  it("counts a user as not exempt when Synapse cannot answer, and says so", async () => {
    const failures: string[] = [];
    const exemptions = new SynapsePolicyExemptions({
      admin: () => answer(500, {}),
      alertRoom: undefined,
      now: () => 0,
      onFailure: (what) => failures.push(what),
    });
    expect(await exemptions.isExempt("@admin:example.org" as UserId)).toBe(false);
    expect(failures).toEqual(["server admin"]);
  });
});
