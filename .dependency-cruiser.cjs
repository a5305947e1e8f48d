// Dependency rules (STYLE.md "Shape"), checked by `npm run deps:check`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "no-folder-cycles",
      comment:
        "Folders depend on each other one way too: a child folder never imports its parent's files back, siblings never import each other both ways.",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "child-never-imports-parent",
      comment:
        "A folder's files never import the files of a folder above them (the parent composes its children, not the other way round).",
      severity: "error",
      from: { path: "^(src/.*)/[^/]+/[^/]+\\.ts$" },
      to: { path: "^$1/[^/]+\\.ts$" },
    },
    {
      name: "core-is-pure",
      comment: "src/core has no I/O: it imports only itself and node:crypto.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { pathNot: ["^src/core/", "^crypto$", "^node:crypto$"] },
    },
    {
      name: "private-lookup-is-pure",
      comment:
        "src/private-lookup is the pure core of the v2 private lookup: it imports only itself, src/core, node:crypto and libsodium.",
      severity: "error",
      from: { path: "^src/private-lookup/" },
      to: {
        pathNot: [
          "^src/private-lookup/",
          "^src/core/",
          "^crypto$",
          "^node:crypto$",
          "libsodium-wrappers-sumo",
        ],
      },
    },
    {
      name: "services-are-independent",
      comment: "A service never imports another service.",
      severity: "error",
      from: { path: "^src/services/([^/]+)/" },
      to: { path: "^src/services/", pathNot: "^src/services/$1/" },
    },
    {
      name: "storage-never-sees-the-list",
      comment: "The database layer never imports the source list (it must never reach disk).",
      severity: "error",
      from: { path: "^src/storage/" },
      to: { path: ["^src/list/", "^src/core/source-list", "^src/core/rdlist"] },
    },
    {
      name: "only-the-cli-composes",
      comment: "Library code never imports the CLI.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/cli", "^src/main.ts$"] },
      to: { path: ["^src/cli"] },
    },
    {
      name: "no-test-code-in-src",
      severity: "error",
      from: { path: "^src/", pathNot: "\\.(test|contract)\\.ts$" },
      to: { path: ["^test/", "\\.(test|contract)\\.ts$", "^vitest", "^fast-check"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: ["\\.test\\.ts$", "\\.contract\\.ts$"] },
  },
};
