import { defineConfig } from "vitest/config";

// Unit tests live beside the code (src/**/*.test.ts); integration tests that start real
// processes (lookup, PostgreSQL, Synapse) live in test/. Files run in parallel worker
// processes; each integration suite owns its ports and temp dirs.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    pool: "forks",
    // Generous: real processes (tsx, Synapse, PostgreSQL) start slowly on a busy 2-core
    // machine; a hang still fails, and no test relies on this for its verdict.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ["default"],
  },
});
