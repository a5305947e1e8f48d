/**
 * The room directory guard: one request to a publicRooms endpoint, answered.
 *
 *  1. A search (`filter.generic_search_term`, POST, client or federation) matching a term
 *     list is answered with help in the configured style; it never reaches the homeserver.
 *     A term over MAX_SEARCH_TERM_CHARS is refused (400 M_INVALID_PARAM) unmatched; when
 *     the matcher threads are full the request is answered 503 (text-pool.ts).
 *  2. Anything else is forwarded unchanged (upstream.ts). No answer: 502, or 504 on time-out;
 *     a successful GET or POST that is not a page (garbage) is never passed on: 502, nor is
 *     a server error that is not a Matrix error.
 *  3. A search of a remote server's directory (`server=`) that comes back as an error
 *     may carry that server's text; it is replaced unless the server is trusted.
 *  4. A page (`chunk`) is filtered (room-filter.ts); a client page left short is topped
 *     up from the following pages (federation requests are signed and cannot be).
 *  5. Synapse's paging tokens name a room, often a hidden one: none is passed on. The
 *     requester gets the guard's own (directory-paging.ts), and its `since` is turned
 *     back into Synapse's before forwarding, or refused with 400 `M_INVALID_PARAM`.
 * Nothing here throws on bad input or a failing homeserver.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Logger } from "../../../observability/logger.js";
import type { GuardMetrics } from "../metrics/guard-metrics.js";
import type { DirectoryPaging, PagedRequest } from "./directory-paging.js";
import { pickLanguage } from "./language.js";
import {
  followingPage,
  jsonObject,
  queryOf,
  replacedRemoteError,
  requestedLimit,
} from "./pages.js";
import type { DirectoryFilter, HiddenRoom } from "./room-filter.js";
import {
  searchTermOf,
  type SafetyStyle,
  type SearchRedirector,
  type Texts,
} from "./search-redirect.js";
import { searchRefusal } from "./text-check.js";
import { callUpstream, forwardedHeaders, type UpstreamAnswer } from "./upstream.js";

/** Which API a request came in on. */
export type DirectoryApi = "client" | "federation";

/** One request to a directory path. */
export interface ProxyRequest {
  readonly api: DirectoryApi;
  readonly method: string;
  /** Path and query exactly as received. */
  readonly rawUrl: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer | undefined;
  readonly peer: string | undefined;
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal;
}

/** The answer to send. */
export interface ProxyAnswer {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer | string;
}

/** What the service needs. */
export interface DirectoryServiceDeps {
  readonly upstream: Readonly<Record<DirectoryApi, string>>;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly style: SafetyStyle;
  readonly redirector: SearchRedirector;
  readonly filter: DirectoryFilter;
  /** Lower-case server names whose error text passes unchanged. */
  readonly trustedServers: ReadonlySet<string>;
  readonly refillPages: number;
  /** Turns Synapse's paging tokens into the requester's and back. */
  readonly paging: DirectoryPaging;
  readonly texts: {
    readonly remoteSearchFailed: Texts;
    readonly unavailable: Texts;
    readonly defaultLanguage: string;
  };
  readonly metrics: GuardMetrics;
  /** Told about the rooms each page left out (the moderators' summary). */
  readonly onHidden: (hidden: readonly HiddenRoom[]) => void;
  /** Told each redirected search: the term list and its harms (the decisions log). */
  readonly onRedirected?: (listId: string, harms: readonly string[]) => void;
  readonly logger: Logger;
}

/**
 * Headers of the answers the guard writes itself. The CORS headers are Synapse's: a web
 * client must be able to read a redirect, or it shows nothing at all.
 */
export const OWN_ANSWER_HEADERS: readonly (readonly [string, string])[] = [
  ["content-type", "application/json"],
  ["cache-control", "no-cache, no-store, must-revalidate"],
  ["access-control-allow-origin", "*"],
  ["access-control-allow-methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS"],
  ["access-control-allow-headers", "X-Requested-With, Content-Type, Authorization, Date"],
];

const own = (status: number, body: unknown): ProxyAnswer => ({
  status,
  headers: OWN_ANSWER_HEADERS,
  body: JSON.stringify(body),
});

/** Answers directory requests. */
export class DirectoryService {
  constructor(private readonly deps: DirectoryServiceDeps) {}

  async handle(request: ProxyRequest): Promise<ProxyAnswer> {
    const { api } = request;
    const body = request.method === "POST" ? jsonObject(request.body) : undefined;
    const redirect = await this.redirect(request, body);
    if (redirect !== undefined) return redirect;

    const paged = this.deps.paging.incoming(request, body);
    if (!paged.ok) {
      this.count(api, "invalid_since");
      return own(400, paged.error);
    }
    const first = await this.forward(request, paged.value.rawUrl, paged.value.body);
    if (!first.ok) return first.failure;
    const answer = first.answer;
    const server = api === "client" ? queryOf(request.rawUrl).get("server") : null;
    if (remoteFailure(answer.status) && server !== null && !this.trusted(server)) {
      this.count(api, "remote_error_replaced");
      return this.replaceRemoteError(request, answer);
    }
    const success = answer.status >= 200 && answer.status < 300;
    const page = success ? jsonObject(answer.body) : undefined;
    const chunk = page?.["chunk"];
    if (page === undefined || !Array.isArray(chunk)) {
      // A successful GET or POST is a page, or it cannot be checked: what the guard cannot
      // read it cannot filter, so it never passes (a listed room might be inside).
      if (success && (request.method === "GET" || request.method === "POST"))
        return this.unavailable(request, "garbage", 502);
      // A server error that is not a Matrix error (a proxy's HTML page): ours instead.
      if (
        answer.status >= 500 &&
        jsonObject(answer.body) === undefined &&
        request.method !== "HEAD"
      )
        return this.unavailable(request, "garbage", 502);
      this.count(api, "forwarded");
      return { status: answer.status, headers: answer.headers, body: answer.body };
    }
    const filtered = await this.filterPages(request, paged.value, page, chunk);
    if (filtered === undefined) return this.unavailable(request, "matcher_busy", 503);
    this.count(api, "filtered");
    return { status: answer.status, headers: answer.headers, body: JSON.stringify(filtered) };
  }

  private async redirect(
    request: ProxyRequest,
    body: Record<string, unknown> | undefined,
  ): Promise<ProxyAnswer | undefined> {
    const term = searchTermOf(body);
    if (term === undefined) return undefined;
    const language = header(request.headers["accept-language"]);
    const checked = await this.deps.redirector.check(term, this.deps.style, language);
    if (!checked.ok) {
      if (checked.error !== "too_long") return this.unavailable(request, "matcher_busy", 503);
      this.count(request.api, "search_too_long");
      const refusal = searchRefusal(checked.error);
      return own(refusal.status, refusal.body);
    }
    const found = checked.value;
    if (found === undefined) return undefined;
    const harms = found.harms.length > 0 ? found.harms : ["none"];
    for (const harm of harms) {
      this.deps.metrics.searchesRedirected.inc({ list: found.listId, harm, surface: "directory" });
    }
    this.count(request.api, "redirected");
    this.deps.onRedirected?.(found.listId, found.harms);
    return own(found.answer.status, found.answer.body);
  }

  private async forward(
    request: ProxyRequest,
    rawUrl: string,
    body: Buffer | undefined,
  ): Promise<{ ok: true; answer: UpstreamAnswer } | { ok: false; failure: ProxyAnswer }> {
    const { api } = request;
    const stop = this.deps.metrics.directoryUpstreamSeconds.startTimer({ api });
    const result = await callUpstream(
      {
        method: request.method,
        url: `${this.deps.upstream[api]}${rawUrl}`,
        headers: forwardedHeaders(request.headers, request.peer),
        ...(body === undefined ? {} : { body }),
      },
      {
        timeoutMs: this.deps.timeoutMs,
        maxBytes: this.deps.maxBytes,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
    );
    stop();
    if (result.ok) return { ok: true, answer: result.value };
    const status = result.error === "timeout" ? 504 : 502;
    return { ok: false, failure: this.unavailable(request, result.error, status) };
  }

  /**
   * The answer when the homeserver gave no usable answer: 502, or 504 on time-out; or 503
   * when the matcher threads could not take the request's texts (`matcher_busy`).
   */
  private unavailable(request: ProxyRequest, failure: string, status: number): ProxyAnswer {
    if (failure === "matcher_busy") {
      this.count(request.api, failure);
      const { unavailable, defaultLanguage } = this.deps.texts;
      const language = pickLanguage(
        unavailable,
        header(request.headers["accept-language"]),
        defaultLanguage,
      );
      return {
        ...own(status, { errcode: "M_UNKNOWN", error: unavailable[language] }),
        headers: [...OWN_ANSWER_HEADERS, ["retry-after", "1"]],
      };
    }
    this.count(request.api, `upstream_${failure}`);
    if (failure !== "aborted") {
      this.deps.logger.warn(
        { api: request.api, failure },
        "the homeserver did not answer a directory request",
      );
    }
    const { unavailable, defaultLanguage } = this.deps.texts;
    const error =
      unavailable[
        pickLanguage(unavailable, header(request.headers["accept-language"]), defaultLanguage)
      ];
    return own(status, { errcode: "M_UNKNOWN", error });
  }

  private replaceRemoteError(request: ProxyRequest, answer: UpstreamAnswer): ProxyAnswer {
    const { remoteSearchFailed: texts, defaultLanguage } = this.deps.texts;
    const language = pickLanguage(
      texts,
      header(request.headers["accept-language"]),
      defaultLanguage,
    );
    const body = replacedRemoteError(jsonObject(answer.body), texts[language] ?? "", texts);
    return own(answer.status, body);
  }

  /**
   * Filters the page, tops a short client page up from the following pages, and gives it
   * the requester's paging tokens. Undefined when the matcher threads were full (the page
   * cannot be checked now).
   */
  private async filterPages(
    request: ProxyRequest,
    paged: PagedRequest,
    page: Record<string, unknown>,
    chunk: readonly unknown[],
  ): Promise<Record<string, unknown> | undefined> {
    const { rawUrl, json: body } = paged;
    const kept = await this.filterChunk(chunk);
    if (kept === undefined) return undefined;
    // A short page is topped up in the direction the client pages: a `prev_batch` walk
    // goes on with the rooms before this page, and puts them in front.
    const forwards = paged.since?.forwards ?? true;
    const onward = forwards ? "next_batch" : "prev_batch";
    let cursor = page[onward];
    const canRefill =
      request.api === "client" &&
      (request.method === "GET" || (request.method === "POST" && body !== undefined));
    const limit = requestedLimit(request.method, rawUrl, body);
    for (let extra = 0; canRefill && extra < this.deps.refillPages; extra++) {
      if (kept.length >= limit || typeof cursor !== "string" || cursor === "") break;
      const following = followingPage(request.method, rawUrl, body, cursor, limit - kept.length);
      const result = await this.forward(request, following.rawUrl, following.body);
      if (!result.ok || result.answer.status !== 200) break;
      const more = jsonObject(result.answer.body);
      const moreChunk = more?.["chunk"];
      if (more === undefined || !Array.isArray(moreChunk)) break;
      const moreKept = await this.filterChunk(moreChunk);
      // A refill the matcher cannot take now ends the refill; what was checked is served.
      if (moreKept === undefined) break;
      if (forwards) kept.push(...moreKept);
      else kept.unshift(...moreKept);
      cursor = more[onward];
    }
    const tokens = forwards
      ? { next: cursor, prev: page["prev_batch"] }
      : { next: page["next_batch"], prev: cursor };
    return this.deps.paging.outgoing(request.api, paged, page, tokens, kept);
  }

  private async filterChunk(chunk: readonly unknown[]): Promise<unknown[] | undefined> {
    const result = await this.deps.filter.filter(chunk);
    if (typeof result === "string") return undefined;
    for (const room of result.hidden)
      this.deps.metrics.directoryRoomsFiltered.inc({ reason: room.reason });
    if (result.shownUnchecked > 0)
      this.deps.metrics.directoryShownUnchecked.inc(result.shownUnchecked);
    if (result.hidden.length > 0) this.deps.onHidden(result.hidden);
    return result.kept;
  }

  private trusted(server: string): boolean {
    return this.deps.trustedServers.has(server.toLowerCase());
  }

  private count(api: DirectoryApi, outcome: string): void {
    this.deps.metrics.directoryRequests.inc({ api, outcome });
  }
}

/**
 * Whether an error may carry the remote server's words. 401 and 429 are the homeserver's
 * own answers about the request's credentials and rate (no server relays them from
 * another), so they pass unchanged.
 */
function remoteFailure(status: number): boolean {
  return status >= 400 && status !== 401 && status !== 429;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}
