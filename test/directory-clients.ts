/**
 * Small clients of the publicRooms endpoints for the directory end-to-end test, pointed
 * at Synapse directly or at a guard's directory proxy.
 */

/** A publicRooms answer. */
export interface DirectoryAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A room directory entry as the tests read it. */
export interface Entry {
  readonly room_id: string;
  readonly name?: string;
}

/** Calls a publicRooms endpoint at `base` (Synapse or a proxy). */
export async function publicRooms(
  base: string,
  options: {
    method?: "GET" | "POST";
    path?: string;
    query?: string;
    body?: unknown;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<DirectoryAnswer> {
  const path = options.path ?? "/_matrix/client/v3/publicRooms";
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(
    `${base}${path}${options.query === undefined ? "" : `?${options.query}`}`,
    {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    },
  );
  const text = await res.text();
  return {
    status: res.status,
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Every page of a listing, following `next_batch`. */
export async function allPages(
  base: string,
  method: "GET" | "POST",
  limit: number,
  token: string,
  filter?: Record<string, unknown>,
): Promise<Entry[][]> {
  const pages: Entry[][] = [];
  let since: string | undefined;
  for (let i = 0; i < 100; i++) {
    const answer =
      method === "GET"
        ? await publicRooms(base, {
            token,
            query: `limit=${limit}${since === undefined ? "" : `&since=${encodeURIComponent(since)}`}`,
          })
        : await publicRooms(base, {
            token,
            body: {
              limit,
              ...(since === undefined ? {} : { since }),
              ...(filter === undefined ? {} : { filter }),
            },
          });
    if (answer.status !== 200)
      throw new Error(`HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
    pages.push(answer.body["chunk"] as Entry[]);
    const next = answer.body["next_batch"];
    if (typeof next !== "string") return pages;
    since = next;
  }
  throw new Error("more than 100 pages");
}

/** The room ids of pages. */
export const idsOf = (pages: readonly (readonly Entry[])[]): string[] =>
  pages.flat().map((e) => e.room_id);
