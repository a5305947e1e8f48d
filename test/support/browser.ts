/**
 * A headless Chromium for the dashboard tests: Debian's `chromium` (scripts/ensure-chromium.sh
 * installs it), driven by `playwright-core`, which downloads no browser of its own.
 */
import { execFileSync } from "node:child_process";
import { chromium, type Browser, type Page } from "playwright-core";

/** The browser binary: REDLIGHT_CHROMIUM, else `chromium` on the PATH. */
export function chromiumPath(): string {
  const given = process.env["REDLIGHT_CHROMIUM"];
  if (given !== undefined && given !== "") return given;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error("no chromium: run scripts/ensure-chromium.sh (npm test does)");
}

/** Launches a headless Chromium (no sandbox: the suite runs as root in CI). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

/**
 * Takes a screenshot; with REDLIGHT_SCREENSHOTS=1 it replaces docs/NAME.png (the pictures
 * in docs/dashboard.md), so ordinary runs leave the working tree unchanged.
 */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  const path = process.env["REDLIGHT_SCREENSHOTS"] === "1" ? `docs/${name}.png` : undefined;
  return page.screenshot(path === undefined ? {} : { path });
}
