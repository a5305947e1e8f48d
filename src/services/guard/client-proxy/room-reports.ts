/**
 * Room reports through the client-API proxy. Synapse stores a room report
 * (`POST /_matrix/client/v3/rooms/{roomId}/report`, spec v1.13, MSC4151) but calls no
 * module and offers no admin API for it, so the proxy forwards the request unchanged and,
 * once the homeserver has accepted it (2xx), hands a copy to `onRoomReport` — the reporter
 * (whoami, cached like a knock's), the room and the reason — after the answer, in the
 * background. The report itself is never delayed or refused here, and neither its room
 * nor its reason is logged.
 */
import type { RunInBackground } from "../../../observability/background.js";
import type { Logger } from "../../../observability/logger.js";
import { jsonObjectBody } from "../../../http/body.js";
import type { ProxyAnswer } from "../directory/directory-service.js";
import { forwardedHeaders } from "../directory/upstream.js";
import { homeserverFailed, relayed, type ClientRequest, type Homeserver } from "./homeserver.js";
import type { Identities } from "./identities.js";

/** A room report the homeserver accepted. */
export interface RoomReport {
  readonly reporter: string;
  readonly roomId: string;
  readonly reason: string;
  readonly receivedAt: number;
}

/** What the room report path uses. */
export interface RoomReportsDeps {
  readonly homeserver: Homeserver;
  readonly identities: Identities;
  /** Told about each accepted report; absent: reports are only forwarded. */
  readonly onRoomReport?: (report: RoomReport) => void;
  /** Counts each report by the homeserver's answer. */
  readonly onOutcome?: (outcome: "accepted" | "refused" | "failed") => void;
  readonly now: () => number;
  /** Where the copy is made, after the answer (the reporter may need a whoami). */
  readonly runInBackground: RunInBackground;
  readonly logger: Logger;
}

/** One room report request: the request and its `{roomId}`, percent-decoded. */
export interface RoomReportRequest extends ClientRequest {
  readonly roomId: string;
}

/** Forwards room reports and keeps a copy of the accepted ones. */
export class RoomReports {
  constructor(private readonly deps: RoomReportsDeps) {}

  async handle(request: RoomReportRequest): Promise<ProxyAnswer> {
    const answered = await this.deps.homeserver({
      method: request.method,
      path: request.rawUrl,
      headers: forwardedHeaders(request.headers, request.peer),
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    if (!answered.ok) {
      this.deps.onOutcome?.("failed");
      return homeserverFailed(answered.error);
    }
    const answer = answered.value;
    const accepted = answer.status >= 200 && answer.status < 300;
    if (request.method === "POST") this.deps.onOutcome?.(accepted ? "accepted" : "refused");
    if (request.method === "POST" && accepted && this.deps.onRoomReport !== undefined) {
      const receivedAt = this.deps.now();
      this.deps.runInBackground("room report copy", () => this.copy(request, receivedAt));
    }
    return relayed(answer);
  }

  private async copy(request: RoomReportRequest, receivedAt: number): Promise<void> {
    const { onRoomReport, logger } = this.deps;
    if (onRoomReport === undefined) return;
    const body = jsonObjectBody(request.body);
    const reason = body.ok ? body.value["reason"] : undefined;
    // The homeserver accepted it, so the reporter is known to it; asked after the fact.
    const identity = await this.deps.identities.identify(request);
    if (identity.kind !== "user" || typeof reason !== "string") {
      logger.warn(
        { identity: identity.kind },
        "a room report was accepted but could not be read; no copy",
      );
      return;
    }
    try {
      onRoomReport({ reporter: identity.user, roomId: request.roomId, reason, receivedAt });
    } catch (e) {
      logger.error({ err: { name: (e as Error).name } }, "the room report copy failed");
    }
  }
}
