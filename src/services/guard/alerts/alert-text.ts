/**
 * The words of each alert, plain and HTML. Pure. Room ids appear only with
 * `guard.alerts.include_room_id`: the alert room must not become a directory of abuse;
 * report ids and tags are enough to act on. User ids do appear (they are this
 * homeserver's own users, the ones its moderators must act on).
 */
import type { GuardEvent, ListedRoom } from "../gates/verdict.js";

/** One alert message. */
export interface AlertText {
  readonly plain: string;
  readonly html: string;
}

/** What shapes the words. */
export interface AlertStyle {
  readonly includeRoomId: boolean;
  /** The fail mode of each gated callback, named in the "degraded" alert. */
  readonly failModes: Readonly<Record<string, "open" | "closed">>;
  /** The room directory's fail mode, when the directory guard runs. */
  readonly directoryFailMode?: "hide" | "show";
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** Builds an alert from parts: text parts are escaped, `code` parts are set in <code>. */
export function compose(title: string, ...parts: (string | { code: string })[]): AlertText {
  const plain = parts.map((p) => (typeof p === "string" ? p : p.code)).join("");
  const html = parts
    .map((p) => (typeof p === "string" ? escapeHtml(p) : `<code>${escapeHtml(p.code)}</code>`))
    .join("");
  return { plain: `${title}: ${plain}`, html: `<b>${escapeHtml(title)}</b>: ${html}` };
}

function listing(listed: ListedRoom): (string | { code: string })[] {
  const tags = listed.tags.length > 0 ? `; tags ${listed.tags.join(", ")}` : "";
  return ["report ", { code: listed.reportId }, tags];
}

function roomPart(style: AlertStyle, room: string): (string | { code: string })[] {
  return style.includeRoomId ? [" Room ", { code: room }, "."] : [];
}

/** Human duration: "45 s", "3 min 20 s", "2 h 5 min". */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

/** Decisions the fail modes made during one outage of the lookup service. */
export interface FailModeTally {
  allowed: number;
  refused: number;
}

/** "Protection restored", with how long the outage lasted and what the fail modes did. */
export function restoredAlert(downMs: number, tally: FailModeTally): AlertText {
  return compose(
    "Protection restored",
    `the lookup service answers again after ${humanDuration(downMs)}. Meanwhile ${tally.allowed} decision(s) were allowed unchecked and ${tally.refused} refused by fail mode.`,
  );
}

/**
 * The alert for a decision event, or undefined for events reported otherwise (refused
 * invites go into the periodic summary; a remote account's freeze is counted there too).
 * `suspension` describes what happened to a frozen local account.
 */
export function eventAlert(
  event: GuardEvent,
  style: AlertStyle,
  suspension?: string,
): AlertText | undefined {
  switch (event.kind) {
    case "join_refused":
      return compose(
        "Join refused",
        { code: event.user },
        event.invited ? " accepted an invite to a listed room (" : " tried to join a listed room (",
        ...listing(event.listed),
        ").",
        ...roomPart(style, event.room),
      );
    case "account_frozen":
      if (!event.local) return undefined;
      return compose(
        "Account frozen",
        { code: event.user },
        event.via === "hit"
          ? " reached the limit of attempts on listed rooms; every join is now refused."
          : " is frozen at the lookup service; every join is refused.",
        suspension === undefined ? "" : ` ${suspension}`,
        " To lift it: ",
        { code: `!redlight unfreeze ${event.user}` },
      );
    case "found_inside":
      return compose(
        "User inside a listed room",
        { code: event.user },
        " is a member of a room that is now listed (",
        ...listing(event.listed),
        "). Their membership is unchanged.",
        ...roomPart(style, event.room),
      );
    case "lookup_degraded": {
      const modes = Object.entries(style.failModes)
        .map(
          ([callback, mode]) => `${callback} ${mode === "open" ? "allowed unchecked" : "refused"}`,
        )
        .join(", ");
      const directory =
        style.directoryFailMode === undefined
          ? ""
          : `, room directory: rooms never checked ${style.directoryFailMode === "hide" ? "hidden" : "shown"}`;
      return compose(
        "Protection degraded",
        `the lookup service does not answer (${event.reason}). Until it does: ${modes}${directory}.`,
      );
    }
    case "lookup_recovered":
    case "fail_mode_applied":
      // Told by `restoredAlert` with the fail-mode decisions counted meanwhile.
      return undefined;
    case "publish_refused":
      return compose(
        "Publication refused",
        { code: event.user },
        " tried to publish ",
        ...(event.listed !== undefined
          ? ["a listed room in the room directory (", ...listing(event.listed), ")."]
          : [
              "a room whose name or topic matches term list ",
              { code: event.listId ?? "?" },
              " in the room directory.",
            ]),
        ...roomPart(style, event.room),
      );
    case "invite_refused":
      return undefined;
  }
}

/** The alert for a lifted freeze. */
export function unfrozenAlert(user: string, actor: string, detail: string): AlertText {
  return compose(
    "Account unfrozen",
    { code: user },
    ` by ${actor}.`,
    detail === "" ? "" : ` ${detail}`,
  );
}

/** A reply to an alert-room command. */
export function commandReply(text: string): AlertText {
  return { plain: text, html: escapeHtml(text) };
}
