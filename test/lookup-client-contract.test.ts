/**
 * The LookupClient contract (test/contracts/lookup-client.contract.ts) run against the fake
 * and against the real lookup service (in-process, SQLite) through StandardLookupClient (v1)
 * and PrivateLookupClient (the private lookup, v2).
 */
import { afterAll, beforeAll } from "vitest";
import type { RoomId } from "../src/core/ids.js";
import {
  StandardLookupClient,
  type LookupClient,
} from "../src/services/guard/lookup/lookup-client.js";
import { PrivateLookupClient } from "../src/services/guard/lookup/private-lookup-client.js";
import {
  lookupClientContract,
  type LookupClientWorld,
} from "./contracts/lookup-client.contract.js";
import { FakeLookupClient } from "./doubles/guard-fakes.js";
import {
  cleanRoom,
  listedRoom,
  startLookupFixture,
  type LookupFixture,
} from "./support/lookup-fixture.js";

const listed = (n: number) => listedRoom(n) as RoomId;
const clean = (n: number) => cleanRoom(n) as RoomId;

{
  let world: LookupClientWorld;
  beforeAll(() => {
    const withRooms = () => {
      const fake = new FakeLookupClient();
      for (let n = 1; n <= 8; n++) fake.list(listed(n), `report-${n}`, ["csam"]);
      return fake;
    };
    const plain = withRooms();
    plain.checkSupported = false;
    // One service behind both clients: freezes are the service's, whichever client asks.
    const directory = withRooms();
    world = { plain, directory, listed, clean };
  });
  lookupClientContract("FakeLookupClient", () => world);
}

{
  let fixture: LookupFixture | undefined;
  let world: LookupClientWorld;
  const clients: StandardLookupClient[] = [];
  beforeAll(async () => {
    fixture = await startLookupFixture({
      clients: [{ name: "hs1" }, { name: "hs2", scopes: ["directory"] }],
    });
    const client = (name: string) => {
      const c = new StandardLookupClient({
        baseUrl: fixture!.handle.apiUrl,
        token: fixture!.tokens[name]!,
        timeoutMs: 10_000,
      });
      clients.push(c);
      return c;
    };
    world = { plain: client("hs1"), directory: client("hs2"), listed, clean };
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await fixture?.stop();
  });
  lookupClientContract("StandardLookupClient and the real lookup service", () => world);
}

{
  let fixture: LookupFixture | undefined;
  let world: LookupClientWorld;
  const clients: LookupClient[] = [];
  beforeAll(async () => {
    fixture = await startLookupFixture({
      clients: [{ name: "hs1" }, { name: "hs2", scopes: ["directory"] }],
      privateLookup: true,
    });
    const client = (name: string) => {
      const c = new PrivateLookupClient({
        baseUrl: fixture!.handle.apiUrl,
        token: fixture!.tokens[name]!,
        timeoutMs: 10_000,
        setRefreshMs: 60_000,
      });
      clients.push(c);
      return c;
    };
    world = { plain: client("hs1"), directory: client("hs2"), listed, clean };
  });
  afterAll(async () => {
    for (const c of clients) c.close?.();
    await fixture?.stop();
  });
  lookupClientContract("PrivateLookupClient (v2) and the real lookup service", () => world);
}
