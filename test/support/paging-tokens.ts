/**
 * Synapse's room directory paging tokens for test stand-ins, written independently of the
 * guard's codec (src/services/guard/directory/synapse-token.ts) so the two cannot share a
 * mistake: unpadded base64 of the msgpack map `{"m": members, "r": room id, "d": forwards}`
 * (`RoomListNextBatch.to_token` in synapse/handlers/room_list.py). And the check the paging
 * tests make of every token a requester receives: does it name a room, in any decoding?
 */

/** Synapse's token for a page boundary. */
export function synapseToken(members: number, roomId: string, forwards: boolean): string {
  const text = (s: string) => {
    const b = Buffer.from(s, "utf8");
    if (b.length < 32) return Buffer.concat([Buffer.from([0xa0 + b.length]), b]);
    if (b.length < 256) return Buffer.concat([Buffer.from([0xd9, b.length]), b]);
    throw new RangeError("room id too long for the stand-in");
  };
  const count =
    members < 128
      ? Buffer.from([members])
      : members < 65_536
        ? Buffer.from([0xcd, members >> 8, members & 0xff])
        : (() => {
            throw new RangeError("too many members for the stand-in");
          })();
  const bytes = Buffer.concat([
    Buffer.from([0x83]),
    text("m"),
    count,
    text("r"),
    text(roomId),
    text("d"),
    Buffer.from([forwards ? 0xc3 : 0xc2]),
  ]);
  return bytes.toString("base64").replace(/=+$/, "");
}

/** The room id and direction in a Synapse token, or undefined (read the simple way). */
export function readSynapseToken(
  token: string,
): { members: number; roomId: string; forwards: boolean } | undefined {
  const b = Buffer.from(token, "base64");
  if (b[0] !== 0x83 || b[1] !== 0xa1 || b[2] !== 0x6d) return undefined;
  let at = 3;
  const head = b[at] ?? 0xc1;
  const width = head < 0x80 ? 0 : head === 0xcc ? 1 : head === 0xcd ? 2 : head === 0xce ? 4 : -1;
  if (width === -1 || at + 1 + width > b.length) return undefined;
  const members = width === 0 ? head : b.readUIntBE(at + 1, width);
  at += 1 + width;
  if (b[at] !== 0xa1 || b[at + 1] !== 0x72) return undefined;
  at += 2;
  const tag = b[at] ?? 0xc1;
  if ((tag & 0xe0) !== 0xa0 && tag !== 0xd9) return undefined;
  const length = tag === 0xd9 ? (b[at + 1] ?? 0) : tag & 0x1f;
  at += tag === 0xd9 ? 2 : 1;
  const roomId = b.subarray(at, at + length).toString("utf8");
  at += length;
  if (b[at] !== 0xa1 || b[at + 1] !== 0x64) return undefined;
  const forwards = b[at + 2] === 0xc3 ? true : b[at + 2] === 0xc2 ? false : undefined;
  return forwards === undefined ? undefined : { members, roomId, forwards };
}

/**
 * The rooms of `roomIds` a token names in any reading: as sent, URL-decoded, base64 or
 * base64url decoded (msgpack strings are plain UTF-8 inside), hex decoded, and the room
 * id's own base64, hex and URL-encoded forms inside the token.
 */
export function roomsNamedBy(token: string, roomIds: Iterable<string>): string[] {
  const readings: string[] = [token];
  try {
    readings.push(decodeURIComponent(token));
  } catch {
    // not URL-encoded
  }
  for (const form of [token, readings[1] ?? token]) {
    readings.push(Buffer.from(form, "base64").toString("latin1"));
    readings.push(Buffer.from(form, "base64url").toString("latin1"));
    if (/^[0-9a-f]*$/i.test(form)) readings.push(Buffer.from(form, "hex").toString("latin1"));
  }
  const named: string[] = [];
  for (const roomId of roomIds) {
    const forms = [
      roomId,
      Buffer.from(roomId, "utf8").toString("latin1"),
      encodeURIComponent(roomId),
      Buffer.from(roomId).toString("hex"),
      Buffer.from(roomId).toString("base64").replace(/=+$/, ""),
      Buffer.from(roomId).toString("base64url"),
      // The room id without its sigil and server part: what is unique about it.
      roomId.slice(1).split(":")[0]!,
    ];
    const decoded = readSynapseToken(token);
    if (decoded?.roomId === roomId || readings.some((r) => forms.some((f) => r.includes(f))))
      named.push(roomId);
  }
  return named;
}
