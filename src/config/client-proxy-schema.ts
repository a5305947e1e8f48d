/**
 * `guard.client_proxy`: the guard's client-API proxy, the listener a reverse proxy sends
 * the few client-server paths to that no Synapse callback sees (knocks, room reports) and
 * the room directory (`guard.directory`). Part of the one schema (schema.ts).
 */
import { z } from "zod";
import { listenAddress } from "./fields.js";

/** `guard.client_proxy`. */
export const clientProxySchema = z
  .strictObject({
    listen: listenAddress(
      "127.0.0.1:8482",
      "Address of the client-API proxy. Route only its paths here: knocks, room reports and, with guard.directory, publicRooms (docs/directory.md).",
    ),
  })
  .optional()
  .describe(
    "The guard's client-API proxy: knocks decided like joins, room reports seen, the room directory (with guard.directory). It runs when this section or guard.directory is present.",
  );
