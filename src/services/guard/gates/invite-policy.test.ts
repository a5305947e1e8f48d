import { describe, expect, it } from "vitest";
import type { ServerName } from "../../../core/ids.js";
import {
  ServerPolicy,
  globToRegExp,
  hostOf,
  isIpLiteral,
  type ServerPolicySettings,
} from "./invite-policy.js";

const base: ServerPolicySettings = {
  localInvitesOnly: false,
  allowServers: [],
  denyServers: [],
  allowIpLiterals: false,
};
const check = (settings: Partial<ServerPolicySettings>, server: string) =>
  new ServerPolicy({ ...base, ...settings }).check(server as ServerName);

describe("server invite policy", () => {
  it("matches globs whole-name, case-insensitively, with literal dots", () => {
    expect(globToRegExp("*.example.org").test("chat.Example.ORG")).toBe(true);
    expect(globToRegExp("*.example.org").test("example.org")).toBe(false);
    expect(globToRegExp("example.org").test("exampleXorg")).toBe(false);
    expect(globToRegExp("host?.example").test("host1.example")).toBe(true);
  });

  it("knows IP literals, with or without port, and hosts", () => {
    expect(isIpLiteral("203.0.113.7")).toBe(true);
    expect(isIpLiteral("203.0.113.7:8448")).toBe(true);
    expect(isIpLiteral("[2001:db8::1]:8448")).toBe(true);
    expect(isIpLiteral("example.org")).toBe(false);
    expect(isIpLiteral("1.2.3.example")).toBe(false);
    expect(hostOf("[2001:db8::1]:8448")).toBe("2001:db8::1");
    expect(hostOf("example.org:8448")).toBe("example.org");
  });

  it("accepts ordinary servers and refuses IP literals by default", () => {
    expect(check({}, "example.org")).toEqual({ allowed: true });
    expect(check({}, "203.0.113.7:8448")).toEqual({ allowed: false, rule: "ip_literal" });
    expect(check({ allowIpLiterals: true }, "203.0.113.7")).toEqual({ allowed: true });
    expect(check({ allowServers: ["203.0.113.7"] }, "203.0.113.7:8448")).toEqual({ allowed: true });
  });

  it("applies the deny-list before the allow-list; a glob may omit the port", () => {
    expect(check({ denyServers: ["*.spam.example"] }, "a.spam.example:8448")).toEqual({
      allowed: false,
      rule: "deny_servers",
    });
    expect(check({ denyServers: ["a.example"], allowServers: ["*.example"] }, "a.example")).toEqual(
      {
        allowed: false,
        rule: "deny_servers",
      },
    );
    expect(check({ allowServers: ["*.friends.example"] }, "b.example")).toEqual({
      allowed: false,
      rule: "allow_servers",
    });
    expect(check({ allowServers: ["*.friends.example"] }, "x.friends.example")).toEqual({
      allowed: true,
    });
  });

  it("refuses every server in local-invites-only mode", () => {
    expect(check({ localInvitesOnly: true, allowServers: ["*"] }, "example.org")).toEqual({
      allowed: false,
      rule: "local_invites_only",
    });
  });
});
