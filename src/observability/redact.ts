/**
 * Credentials out of URLs and connection strings before anything is logged. Secrets live
 * in files (`*_file` keys), but a URL can still carry one: a database password in its
 * userinfo or as `?password=`, a presigned list URL's signature, an `access_token=` in a
 * homeserver URL. One function decides for every URL we log (the effective configuration,
 * list source labels, and every string field of every log line).
 *
 * The rule fails safe: the whole userinfo goes, every query value goes unless its name is
 * a known harmless connection setting, a fragment goes; a string that cannot be parsed as
 * a URL loses everything up to its last `@` and its query values.
 */

/** Query parameters (libpq connection settings) whose values are shown. */
const HARMLESS_PARAMS = new Set([
  "sslmode",
  "host",
  "hostaddr",
  "port",
  "dbname",
  "application_name",
  "connect_timeout",
  "target_session_attrs",
]);

const REDACTED = "[redacted]";
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*:)\/\//;
/** A URL inside a longer text: a scheme with `//`, up to white space or a quote. */
const URL_IN_TEXT = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]+/g;

function paramName(part: string): string {
  const name = part.split("=", 1)[0] ?? "";
  try {
    return decodeURIComponent(name.replace(/\+/g, " ")).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** A query string (without `?`) with every value but harmless ones redacted. */
function redactQuery(query: string): string {
  return query
    .split("&")
    .map((part) => {
      if (part === "") return part;
      const eq = part.indexOf("=");
      // A bare parameter may itself be the secret (`?s3cr3t`); its name is kept only if known.
      if (eq < 0) return HARMLESS_PARAMS.has(paramName(part)) ? part : REDACTED;
      return HARMLESS_PARAMS.has(paramName(part)) ? part : `${part.slice(0, eq)}=${REDACTED}`;
    })
    .join("&");
}

/** The rough rule for what WHATWG URL parsing refuses (a libpq socket URL, a stray `?`). */
function roughlyRedacted(scheme: string, rest: string): string {
  const at = rest.lastIndexOf("@");
  let tail = at < 0 ? rest : rest.slice(at + 1);
  const hash = tail.indexOf("#");
  const fragment = hash < 0 ? "" : `#${REDACTED}`;
  if (hash >= 0) tail = tail.slice(0, hash);
  const q = tail.indexOf("?");
  const query = q < 0 ? "" : `?${redactQuery(tail.slice(q + 1))}`;
  if (q >= 0) tail = tail.slice(0, q);
  return `${scheme}//${at < 0 ? "" : `${REDACTED}@`}${tail}${query}${fragment}`;
}

/**
 * A URL or connection string as it may be logged: userinfo, query values (but harmless
 * connection settings) and fragment redacted. Text that is not `scheme://…` is returned
 * unchanged (`sqlite:./data/redlight.db`, a file path).
 */
export function redactUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[1];
  if (scheme === undefined) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return roughlyRedacted(scheme, url.slice(scheme.length + 2));
  }
  const hasUserinfo = parsed.username !== "" || parsed.password !== "";
  const query = parsed.search === "" ? "" : `?${redactQuery(parsed.search.slice(1))}`;
  // Nothing to hide: the URL as written (not normalised; callers log and reuse such URLs).
  if (!hasUserinfo && parsed.hash === "" && query === parsed.search) return url;
  const userinfo = hasUserinfo ? `${REDACTED}@` : "";
  const fragment = parsed.hash === "" ? "" : `#${REDACTED}`;
  return `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${query}${fragment}`;
}

/** `text` with every URL in it passed through {@link redactUrl}. */
export function redactUrlsIn(text: string): string {
  return text.includes("://") ? text.replace(URL_IN_TEXT, redactUrl) : text;
}

const MAX_DEPTH = 10;

/**
 * A copy of a plain value (objects, arrays, strings) with every URL in every string
 * redacted; other values are returned as they are.
 */
export function redactUrlsDeep<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactUrlsIn(value) as T;
  if (depth >= MAX_DEPTH || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactUrlsDeep(v, depth + 1)) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = redactUrlsDeep(v, depth + 1);
  return out as T;
}
