import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.js";
import { loggableConfig } from "./serve.js";

describe("the effective configuration log line", () => {
  it("carries no credential from any URL or connection string", () => {
    const parsed = parseConfig(
      {
        database: "postgres://redlight@db.example/redlight?password=pw-0001&sslmode=require",
        lookup: {
          sources: [{ url: "https://u:pw-0002@lists.example/list.enc?X-Amz-Signature=sig-0003" }],
        },
        guard: {
          homeserver_url: "http://admin:pw-0004@127.0.0.1:8008/?access_token=tok-0005",
          antispam_secret_file: "./secrets/antispam",
          pseudonym_secret_file: "./secrets/pseudonym",
          lookup: {
            url: "http://127.0.0.1:8480/?token=tok-0006",
            api_token_file: "./secrets/lookup-token",
          },
        },
      },
      "/srv/redlight",
    );
    if (!parsed.ok) throw new Error(parsed.error);
    const line = JSON.stringify(loggableConfig(parsed.value));
    for (const secret of ["pw-0001", "pw-0002", "sig-0003", "pw-0004", "tok-0005", "tok-0006"])
      expect(line).not.toContain(secret);
    // What an operator needs to read stays.
    expect(line).toContain("db.example/redlight");
    expect(line).toContain("sslmode=require");
    expect(line).toContain("http://[redacted]@127.0.0.1:8008/");
    expect(line).toContain("/srv/redlight/secrets/antispam");
  });
});
