/**
 * The lookup service's `private_lookup` section: the OPRF key material of the LJS-4 v2
 * private lookup (docs/private-lookup.md). Absent: the v2 endpoints are off.
 */
import { z } from "zod";

const epoch = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, "must be 1-16 of [A-Za-z0-9_-]");

export const privateLookupSchema = z
  .strictObject({
    key_seed_file: z.string().meta({
      description:
        "File holding the master seed (64 hex characters, 32 random bytes) every client's OPRF key is derived from. Never logged.",
      examples: ["./secrets/oprf-seed"],
    }),
    epoch: epoch.meta({
      description:
        "The current key epoch: key ids are `<client>.<epoch>`. A new epoch is a key rotation.",
      examples: ["2026-12"],
    }),
    previous_epoch: z
      .strictObject({
        epoch: epoch.meta({ description: "The epoch being retired.", examples: ["2026-11"] }),
        retires_at: z.iso.datetime({ offset: true }).meta({
          description: "When its keys stop being served (ISO 8601); until then both are.",
          examples: ["2026-12-08T00:00:00Z"],
        }),
      })
      .optional()
      .describe("The previous epoch, served beside the current one during a rotation's overlap."),
  })
  .describe("LJS-4 v2 private lookup (docs/private-lookup.md). Absent: v2 is off.");
