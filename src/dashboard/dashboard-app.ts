/**
 * The dashboard's web app, shared by the guard and the lookup service: login, sessions in
 * `HttpOnly; SameSite=Strict` cookies, a CSRF token in every state-changing form, a check
 * that no form comes from another site, a strict Content-Security-Policy, and the pages a
 * service plugs in. A page is a small module ({@link DashboardPage}): its path, a render
 * function and named actions; adding one is a line in the service's page list.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { apiError, type ApiError } from "../core/errors.js";
import type { Result } from "../core/result.js";
import { createHttpServer } from "../http/fastify.js";
import { DASHBOARD_CSS } from "./assets.js";
import { esc, framed, type Frame } from "./html.js";
import { csrfMatches, SessionStore, type Session } from "./sessions.js";

/** What a page render sees. */
export interface PageContext<P> {
  readonly principal: P;
  /** The session's CSRF token, for the page's forms. */
  readonly csrf: string;
  readonly query: URLSearchParams;
}

/** What an action answers: a message for the next page, and maybe a secret shown once. */
export interface ActionOutcome {
  readonly ok: boolean;
  readonly text: string;
  readonly secret?: string;
}

/** A state-changing action of a page (a form posting to `{page path}/{name}`). */
export type PageAction<P> = (principal: P, form: URLSearchParams) => Promise<ActionOutcome>;

/** One page of a dashboard. */
export interface DashboardPage<P> {
  /** `/` or `/name`. */
  readonly path: string;
  readonly title: string;
  /** The page's HTML (inside the frame). */
  render(context: PageContext<P>): Promise<string>;
  readonly actions?: Readonly<Record<string, PageAction<P>>>;
}

/** How people log in. */
export interface DashboardLogin<P> {
  /** The login form's inputs (HTML). */
  readonly fields: string;
  /** Checks a submitted login form; the error is shown to the person. */
  authenticate(form: URLSearchParams): Promise<Result<P, string>>;
  /** How a principal is named on pages. */
  describe(principal: P): string;
}

/** What the app is built from. */
export interface DashboardOptions<P> {
  readonly product: string;
  readonly login: DashboardLogin<P>;
  readonly pages: readonly DashboardPage<P>[];
  readonly sessionTtlMs: number;
  readonly now?: () => number;
  readonly onInternalError?: (e: unknown) => void;
  /** Told about logins and actions (never secrets). */
  readonly audit?: (message: string, detail: Readonly<Record<string, string>>) => void;
}

/** The session cookie's name. */
export const SESSION_COOKIE = "redlight_session";
/** The Content-Security-Policy of every answer: no scripts at all, nothing from elsewhere. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FORM_LIMIT = 16 * 1024;
const LOGIN_FAILURES_PER_MINUTE = 10;

const writeError = (reply: FastifyReply, e: ApiError): FastifyReply =>
  reply.code(e.status).type("application/json").send({ errcode: e.errcode, error: e.error });

/** Builds a dashboard app (not listening). */
export function createDashboardApp<P>(options: DashboardOptions<P>): FastifyInstance {
  const now = options.now ?? (() => Date.now());
  const sessions = new SessionStore<P>(options.sessionTtlMs, now);
  const failures = new LoginFailures(now);
  const app = createHttpServer({
    bodyLimit: FORM_LIMIT,
    writeError,
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
  app.addHook("onSend", async (_request, reply) => {
    reply.header("content-security-policy", DASHBOARD_CSP);
    reply.header("x-content-type-options", "nosniff");
    // `same-origin`, not `no-referrer`: with the latter, browsers send `Origin: null` on our own forms.
    reply.header("referrer-policy", "same-origin");
    reply.header("cache-control", "no-store");
    reply.header("x-frame-options", "DENY");
  });
  const nav = options.pages.map((p) => ({ path: p.path, title: p.title }));
  const frame = (title: string, session?: Session<P>): Frame => ({
    product: options.product,
    title,
    nav: session === undefined ? [] : nav,
    ...(session === undefined
      ? {}
      : { who: options.login.describe(session.principal), csrf: session.csrf }),
  });
  const html = (reply: FastifyReply, status: number, page: string) =>
    reply.code(status).type("text/html; charset=utf-8").send(page);
  const loginPage = (error?: string) =>
    framed(
      frame("Log in"),
      `${error === undefined ? "" : `<p class="flash error" role="alert">${esc(error)}</p>`}<form method="post" action="/login"><fieldset>${options.login.fields}<button type="submit">Log in</button></fieldset></form>`,
    );

  app.get("/assets/dashboard.css", (_request, reply) =>
    reply.type("text/css; charset=utf-8").send(DASHBOARD_CSS),
  );
  app.get("/login", (_request, reply) => html(reply, 200, loginPage()));
  app.post("/login", async (request, reply) => {
    const form = formOf(request);
    if (!form.ok) return writeError(reply, form.error);
    const address = request.ip;
    if (failures.tooMany(address))
      return writeError(
        reply,
        apiError(429, "M_LIMIT_EXCEEDED", "too many failed logins; wait a minute"),
      );
    const result = await options.login.authenticate(form.value);
    if (!result.ok) {
      failures.add(address);
      options.audit?.("dashboard login refused", { reason: result.error });
      return html(reply, 403, loginPage(result.error));
    }
    const id = sessions.create(result.value);
    options.audit?.("dashboard login", { who: options.login.describe(result.value) });
    return reply
      .header("set-cookie", sessionCookie(request, id, options.sessionTtlMs))
      .redirect("/", 303);
  });
  app.post("/logout", async (request, reply) => {
    const checked = checkedForm(request, sessions);
    if (!checked.ok) return writeError(reply, checked.error);
    sessions.end(cookieOf(request));
    return reply.header("set-cookie", sessionCookie(request, "", 0)).redirect("/login", 303);
  });

  for (const page of options.pages) {
    app.get(page.path, async (request, reply) => {
      const session = sessions.get(cookieOf(request));
      if (session === undefined) return reply.redirect("/login", 303);
      const query = new URLSearchParams(request.url.split("?")[1] ?? "");
      const body = await page.render({ principal: session.principal, csrf: session.csrf, query });
      const flash = session.flash;
      session.flash = undefined;
      const secret =
        flash?.secret === undefined
          ? ""
          : `<p>Shown once; copy it now:</p><p class="once">${esc(flash.secret)}</p>`;
      const f = frame(page.title, session);
      return html(
        reply,
        200,
        framed(flash === undefined ? f : { ...f, flash }, `${secret}${body}`),
      );
    });
    for (const [name, action] of Object.entries(page.actions ?? {})) {
      const base = page.path === "/" ? "" : page.path;
      app.post(`${base}/${name}`, async (request, reply) => {
        const checked = checkedForm(request, sessions);
        if (!checked.ok) return writeError(reply, checked.error);
        const { session, form } = checked.value;
        const outcome = await action(session.principal, form);
        options.audit?.("dashboard action", {
          who: options.login.describe(session.principal),
          action: `${base}/${name}`,
          result: outcome.ok ? "ok" : "failed",
        });
        session.flash = outcome;
        return reply.redirect(page.path, 303);
      });
    }
  }
  return app;
}

/** The session and form of a state-changing request, or why it is refused. */
function checkedForm<P>(
  request: FastifyRequest,
  sessions: SessionStore<P>,
): Result<{ session: Session<P>; form: URLSearchParams }, ApiError> {
  const form = formOf(request);
  if (!form.ok) return form;
  const session = sessions.get(cookieOf(request));
  if (session === undefined)
    return { ok: false, error: apiError(401, "M_MISSING_TOKEN", "log in first") };
  if (!csrfMatches(session, form.value.get("csrf")))
    return {
      ok: false,
      error: apiError(
        403,
        "M_FORBIDDEN",
        "the form's CSRF token is missing or wrong; reload the page",
      ),
    };
  return { ok: true, value: { session, form: form.value } };
}

/** A same-site url-encoded form body, or why not. */
function formOf(request: FastifyRequest): Result<URLSearchParams, ApiError> {
  if (crossSite(request))
    return { ok: false, error: apiError(403, "M_FORBIDDEN", "cross-site form refused") };
  const type = String(request.headers["content-type"] ?? "")
    .split(";")[0]
    ?.trim();
  if (type !== "application/x-www-form-urlencoded")
    return {
      ok: false,
      error: apiError(400, "M_BAD_JSON", "expected an application/x-www-form-urlencoded form"),
    };
  const body = request.body;
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : "";
  return { ok: true, value: new URLSearchParams(text) };
}

/**
 * Whether a browser says the request comes from another site: `Sec-Fetch-Site`, or an
 * `Origin` whose host is not ours. (SameSite=Strict already keeps the cookie off such
 * requests; this refuses them before anything else, login forms included.)
 */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

function cookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie ?? "";
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=");
  }
  return undefined;
}

function sessionCookie(request: FastifyRequest, id: string, ttlMs: number): string {
  // Secure when the reverse proxy in front says the browser used HTTPS.
  const secure = request.headers["x-forwarded-proto"] === "https" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(ttlMs / 1000)}${secure}`;
}

/** Failed logins per address in the current minute. */
class LoginFailures {
  private minute = 0;
  private counts = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  tooMany(address: string): boolean {
    this.roll();
    return (this.counts.get(address) ?? 0) >= LOGIN_FAILURES_PER_MINUTE;
  }

  add(address: string): void {
    this.roll();
    if (this.counts.size < 10_000) this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }

  private roll(): void {
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.counts = new Map();
    }
  }
}
