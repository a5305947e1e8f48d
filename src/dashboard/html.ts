/**
 * HTML for the dashboards, written on the server: escaping, the page frame and small
 * pieces (tables, forms with their CSRF token). No page carries a script: the Content-
 * Security-Policy forbids them (`script-src 'none'`), and the charts are SVG drawn here.
 */

/** Escapes text for HTML content and attribute values. */
export function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A link of the navigation bar. */
export interface NavLink {
  readonly path: string;
  readonly title: string;
}

/** What frames every page. */
export interface Frame {
  readonly product: string;
  readonly title: string;
  readonly nav: readonly NavLink[];
  /** Who is logged in (absent on the login page). */
  readonly who?: string;
  /** The session's CSRF token, for the logout form. */
  readonly csrf?: string;
  /** A one-time message after an action. */
  readonly flash?: { readonly ok: boolean; readonly text: string };
}

/** A whole page around `body` (already HTML). */
export function framed(frame: Frame, body: string): string {
  const nav = frame.nav.map((l) => `<a href="${esc(l.path)}">${esc(l.title)}</a>`).join(" ");
  const logout =
    frame.who === undefined || frame.csrf === undefined
      ? ""
      : `<span class="who">${esc(frame.who)}</span> ${postButton("/logout", frame.csrf, "Log out")}`;
  const flash =
    frame.flash === undefined
      ? ""
      : `<p class="flash ${frame.flash.ok ? "ok" : "error"}" role="status">${esc(frame.flash.text)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(frame.title)} · ${esc(frame.product)}</title>
<link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><header><strong>${esc(frame.product)}</strong> <nav>${nav}</nav> ${logout}</header>
<main><h1>${esc(frame.title)}</h1>${flash}${body}</main></body></html>`;
}

/** A form posting to `action` with the CSRF token and hidden `fields`, shown as one button. */
export function postButton(
  action: string,
  csrf: string,
  label: string,
  fields: Readonly<Record<string, string>> = {},
): string {
  const hidden = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join("");
  return `<form method="post" action="${esc(action)}" class="inline"><input type="hidden" name="csrf" value="${esc(csrf)}">${hidden}<button type="submit">${esc(label)}</button></form>`;
}

/** A table; cells are HTML already (escape text with {@link esc}). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return `<p class="empty">None.</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** An ISO time without milliseconds (UTC). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
