// Optional vitest globalSetup: one PostgreSQL cluster for the whole run instead of one per
// test file. Enable with `globalSetup: ["test/support/postgres-global-setup.ts"]` in
// vitest.config.ts.
//
// It hands the cluster's superuser URL to the test files through the environment variable
// REDLIGHT_TEST_POSTGRES_URL (globalSetup runs in the main vitest process before the worker
// processes are forked, and they inherit its environment). Suites call `usePostgres()` from
// ./postgres.ts, which picks the shared server up when the variable is set and starts a
// private cluster when it is not - so a suite works the same with or without this file, and
// when run on its own. Isolation between suites then comes from `createDatabase()`.
//
// If REDLIGHT_TEST_POSTGRES_URL is already set (an existing server), nothing is started.
//
// The URL is also `provide`d as "redlightPostgresUrl" for suites that prefer `inject()`.
import type { TestProject } from "vitest/node";
import { SHARED_URL_ENV, startPostgres } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    redlightPostgresUrl: string;
  }
}

export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env[SHARED_URL_ENV];
  if (existing) {
    project.provide("redlightPostgresUrl", existing);
    return undefined;
  }
  const pg = await startPostgres();
  process.env[SHARED_URL_ENV] = pg.url;
  project.provide("redlightPostgresUrl", pg.url);
  return async () => {
    delete process.env[SHARED_URL_ENV];
    await pg.stop();
  };
}
