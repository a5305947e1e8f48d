/**
 * The `redlight` command line. Each subcommand is a thin call into src/cli/*; human output
 * goes to stderr, machine output (tokens, hashes) alone to stdout.
 */
import { Command, Option } from "commander";
import { ljs4Hash } from "./core/hash.js";
import { addClient, listClients, revokeClient, rotateClient } from "./cli/clients.js";
import { CliError } from "./cli/context.js";
import { demo } from "./cli/demo.js";
import {
  checkText,
  hashTerms,
  printModuleConfig,
  serveGuard,
  unfreezeGuardUser,
  sweepNow,
} from "./cli/guard.js";
import { listFreezes, unfreeze } from "./cli/freezes.js";
import * as list from "./cli/list.js";
import { acceptReport, listReports, rejectReport, showReport } from "./cli/reports.js";
import * as policy from "./cli/policy.js";
import { serveLookup } from "./cli/serve.js";
import { transparency } from "./cli/transparency.js";

const collect = (value: string, previous: string[]) => [...previous, value];
const configOption = () =>
  new Option("-c, --config <file>", "config file (default: $REDLIGHT_CONFIG)");

function program(): Command {
  const cli = new Command("redlight")
    .description("Trust & Safety for Matrix homeservers")
    .showHelpAfterError();

  cli
    .command("lookup")
    .description("run the lookup service (LJS-4 Abuse Lookup API)")
    .addOption(configOption())
    .action(serveLookup);
  cli
    .command("demo")
    .description("set up and run a lookup service with a synthetic encrypted list (SQLite)")
    .option("--dir <dir>", "folder for the demo's config, list and database", "data/demo")
    .option("--rooms <n>", "synthetic rooms in the list", "1000")
    .option("--port <port>", "API port (metrics on port+1000)", "8480")
    .action(demo);
  cli
    .command("hash <id>")
    .description("print the LJS-4 hash of a room or user id")
    .action((id: string) => {
      process.stdout.write(`${ljs4Hash(id)}\n`);
    });

  const clients = cli.command("clients").description("the whitelist of client homeservers");
  clients
    .command("add <name>")
    .description("add a client; prints its token alone on stdout (or writes it to --out)")
    .addOption(configOption())
    .option("--out <file>", "write the token to this file (mode 0600) instead of stdout")
    .option("--tags <tags>", "comma-separated subset of the server's filtered_tags")
    .option("--allow-ip <cidr>", "allowed source address or range (repeatable)", collect, [])
    .option(
      "--scope <scope>",
      "extra grant: directory (batch check), report (reporting rooms up); repeatable",
      collect,
      [],
    )
    .action(addClient);
  clients.command("list").description("list clients").addOption(configOption()).action(listClients);
  clients
    .command("revoke <name>")
    .description("revoke a client's access")
    .addOption(configOption())
    .action(revokeClient);
  clients
    .command("rotate <name>")
    .description("replace a client's token; prints it on stdout (or writes it to --out)")
    .addOption(configOption())
    .option("--out <file>", "write the token to this file (mode 0600) instead of stdout")
    .action(rotateClient);

  const freezes = cli.command("freezes").description("frozen user pseudonyms");
  freezes
    .command("list")
    .addOption(configOption())
    .option("--client <name>", "only this client's")
    .action(listFreezes);
  freezes
    .command("unfreeze [user_id_hash]")
    .description("lift a freeze")
    .addOption(configOption())
    .requiredOption("--client <name>", "the client the pseudonym belongs to")
    .option("--user-id <id>", "compute the pseudonym as the plain LJS-4 hash of this user id")
    .action(unfreeze);

  const listCmd = cli.command("list").description("the source list");
  listCmd
    .command("keygen")
    .requiredOption("--out <file>", "key file to create")
    .action((o: { out: string }) => list.keygen(o.out));
  listCmd
    .command("encrypt")
    .description("encrypt an rdlist JSON document (from --in or stdin)")
    .requiredOption("--key <file>", "key file (redlight list keygen)")
    .option("--in <file>", "plain list (default: stdin)")
    .requiredOption("--out <file>", "encrypted list to write")
    .action(list.encrypt);
  listCmd
    .command("check")
    .description("load every source once and report counts")
    .addOption(configOption())
    .action(list.check);
  listCmd
    .command("reload")
    .description("ask the running lookup service to reload")
    .addOption(configOption())
    .action(list.reload);

  const reports = cli.command("reports").description("the review queue of rooms reported up");
  reports
    .command("list")
    .addOption(configOption())
    .option("--state <state>", "only pending, accepted or rejected reports")
    .action(listReports);
  reports
    .command("show <ref>")
    .description("one report, its room id and reason opened with the list key")
    .addOption(configOption())
    .action(showReport);
  reports
    .command("accept <ref>")
    .description("list the reported room (takes effect at the next reload)")
    .addOption(configOption())
    .requiredOption("--tags <tags>", "tags of the list entry, comma-separated (e.g. csam)")
    .action(acceptReport);
  reports.command("reject <ref>").addOption(configOption()).action(rejectReport);

  cli
    .command("transparency")
    .description(
      "write a transparency report of a period (counts only): report.json, report.md, SVG charts",
    )
    .addOption(configOption())
    .requiredOption("--from <date>", "first day, YYYY-MM-DD (UTC)")
    .requiredOption("--to <date>", "last day, YYYY-MM-DD (UTC), included")
    .requiredOption("--out <dir>", "folder to write into")
    .option(
      "--service <name>",
      "guard (decisions log) or lookup (audit trail); default: guard when configured",
    )
    .action(transparency);

  cli
    .command("policy")
    .description("policy rooms (MSC2313) the config follows")
    .command("status")
    .description("read each followed policy room once; print counts, skips and read times")
    .addOption(configOption())
    .action(policy.status);

  // `redlight guard` runs the guard; its subcommands act on accounts and print config.
  const guard = cli
    .command("guard")
    .description(
      "run the guard: Synapse join, invite and publish gate, room directory guard, alert room",
    )
    .addOption(configOption())
    .action(serveGuard);
  guard
    .command("unfreeze <user_id>")
    .description("lift a freeze of a local account (and its suspension)")
    .addOption(configOption())
    .action((user: string, _options: unknown, command: Command) =>
      unfreezeGuardUser(user, command.optsWithGlobals()),
    );
  guard
    .command("module-config")
    .description("print the synapse-http-antispam entry for homeserver.yaml")
    .addOption(configOption())
    .option("--guard-url <url>", "how Synapse reaches the guard (default: http://<guard.listen>)")
    .action((_options: unknown, command: Command) => printModuleConfig(command.optsWithGlobals()));
  guard
    .command("hash-terms <file>")
    .description(
      "print digests of a plain term list (- for stdin): format sha256, or hmac-sha256 with --key-file",
    )
    .option("--key-file <path>", "HMAC key (keep it apart from the list) for format: hmac-sha256")
    .action((file: string, options: { keyFile?: string }) => hashTerms(file, options));
  guard
    .command("sweep")
    .description(
      "sweep now: reject pending invites to listed rooms, handle local members of listed rooms (counts)",
    )
    .addOption(configOption())
    .option("--dry-run", "find and count, act on nothing")
    .action((_options: unknown, command: Command) => sweepNow(command.optsWithGlobals()));
  guard
    .command("check-text <text>")
    .description("say whether a text matches the term lists (list id and harms, never the term)")
    .addOption(configOption())
    .action((text: string, _options: unknown, command: Command) =>
      checkText(text, command.optsWithGlobals()),
    );
  return cli;
}

/** Runs the CLI; exit code 2 for usage/config errors, 1 for anything unexpected. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`redlight: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`redlight: unexpected error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
