/** `redlight clients …`: the whitelist of client homeservers (the spec's chain of trust). */
import { generateToken, tokenHash } from "../core/token.js";
import { isValidRange } from "../services/lookup/client-registry.js";
import { writePrivateFile } from "../storage/private-files.js";
import { CliError, say, withStorage } from "./context.js";

/** Options of `clients add`. */
export interface AddClientOptions {
  readonly config?: string;
  readonly tags?: string;
  readonly allowIp: string[];
  readonly scope: string[];
  /** Write the token to this file (0600) instead of stdout. */
  readonly out?: string;
}

const SCOPES = new Set(["directory", "report"]);
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Adds a client and prints its token alone on stdout. */
export async function addClient(name: string, options: AddClientOptions): Promise<void> {
  if (!NAME_RE.test(name))
    throw new CliError("a client name is 1–64 letters, digits, '.', '_' or '-'");
  const bad = options.allowIp.find((r) => !isValidRange(r));
  if (bad !== undefined) throw new CliError(`--allow-ip ${bad} is not an IP address or CIDR range`);
  const unknownScope = options.scope.find((s) => !SCOPES.has(s));
  if (unknownScope !== undefined)
    throw new CliError(`unknown scope ${unknownScope} (known: ${[...SCOPES].join(", ")})`);
  const tags =
    options.tags === undefined
      ? null
      : options.tags
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean);
  await withStorage(options.config, async (storage, config) => {
    const outside = (tags ?? []).filter((t) => !config.lookup.filtered_tags.includes(t));
    if (outside.length > 0)
      say(`warning: the server does not filter ${outside.join(", ")}; those tags will never match`);
    const token = generateToken();
    const added = await storage.addClient(
      { name, tokenHash: tokenHash(token), tags, allowIps: options.allowIp, scopes: options.scope },
      Date.now(),
    );
    if (added === "exists")
      throw new CliError(
        `a client named ${name} already exists (use rotate, or revoke and pick a new name)`,
      );
    say(`added client ${name}; its token is shown only this once`);
    emitToken(token, options.out);
  });
}

/**
 * Puts a new token on stdout, or into an owner-only file: `clients add … > hs.token` would
 * create the file with the umask's mode (0644 under the usual 022).
 */
function emitToken(token: string, out: string | undefined): void {
  if (out === undefined) {
    process.stdout.write(`${token}\n`);
    return;
  }
  try {
    writePrivateFile(out, `${token}\n`);
  } catch (e) {
    throw new CliError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  say(`wrote the token to ${out} (mode 0600)`);
}

/** Lists clients (never tokens). */
export async function listClients(options: { config?: string }): Promise<void> {
  await withStorage(options.config, async (storage) => {
    const rows = await storage.listClients();
    for (const c of rows) {
      const state =
        c.revokedAt === null ? "active" : `revoked ${new Date(c.revokedAt).toISOString()}`;
      process.stdout.write(
        `${c.name}\t${state}\ttags=${c.tags?.join(",") ?? "(server's)"}\tallow_ip=${c.allowIps.join(",") || "any"}\tscopes=${c.scopes.join(",") || "-"}\n`,
      );
    }
    if (rows.length === 0) say("no clients yet: redlight clients add NAME");
  });
}

/** Revokes a client: its token stops working within one sync interval. */
export async function revokeClient(name: string, options: { config?: string }): Promise<void> {
  await withStorage(options.config, async (storage) => {
    if (!(await storage.revokeClient(name, Date.now())))
      throw new CliError(`no active client named ${name}`);
    say(`revoked client ${name}`);
  });
}

/** Gives a client a new token (printed alone on stdout); the old one stops working. */
export async function rotateClient(
  name: string,
  options: { config?: string; out?: string },
): Promise<void> {
  await withStorage(options.config, async (storage) => {
    const token = generateToken();
    if (!(await storage.rotateToken(name, tokenHash(token), Date.now())))
      throw new CliError(`no active client named ${name}`);
    say(`new token for ${name}; the old one stops working within seconds`);
    emitToken(token, options.out);
  });
}
