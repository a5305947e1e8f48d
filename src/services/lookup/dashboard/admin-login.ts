/**
 * The provider dashboard's login: the admin token of `lookup.dashboard.admin_token_file`,
 * compared in constant time (SHA-256 digests through timingSafeEqual). The file may hold
 * the token itself or `sha256:<hex>` of it, so the plain token need not sit on the server.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { err, ok } from "../../../core/result.js";
import type { DashboardLogin } from "../../../dashboard/dashboard-app.js";

/** The one principal of the provider's dashboard. */
export interface ProviderAdmin {
  readonly name: "provider admin";
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** A matcher for the configured admin token (plain or `sha256:<hex>`). */
export function adminTokenMatcher(configured: string): (presented: string) => boolean {
  const hashed = /^sha256:([0-9a-f]{64})$/i.exec(configured);
  const wanted = hashed?.[1] === undefined ? digest(configured) : Buffer.from(hashed[1], "hex");
  return (presented) => presented !== "" && timingSafeEqual(digest(presented), wanted);
}

/** The admin token login. */
export function adminTokenLogin(configured: string): DashboardLogin<ProviderAdmin> {
  const matches = adminTokenMatcher(configured);
  return {
    fields: `<label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="off">`,
    describe: () => "provider admin",
    authenticate: async (form) =>
      matches(form.get("token") ?? "") ? ok({ name: "provider admin" }) : err("wrong admin token"),
  };
}
