/**
 * Rendering of the dashboard's eta views (`adapters/http/views/`), escaped by
 * default (`<%= %>`); raw output (`<%~ %>`) is used only for markup built by
 * our own code (the layout's body, partials, the chart). Every page goes out
 * with a strict Content-Security-Policy: no script at all, the inline
 * stylesheet allowed by its hash, nothing loaded from elsewhere.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Eta } from "eta";
import { LIVE_SCRIPT, LIVE_SCRIPT_SOURCE } from "./live.ts";
import { DASHBOARD_CSS } from "./styles.ts";

/** The directory of the dashboard's templates. */
export const VIEWS_DIR: string = fileURLToPath(new URL("../views/", import.meta.url));

/** The CSP source of the inline stylesheet. */
export const STYLE_SOURCE = `'sha256-${
  createHash("sha256").update(DASHBOARD_CSS).digest("base64")
}'`;

/**
 * The Content-Security-Policy of every dashboard page: no script but the live
 * view's own (by its hash), fetching only from this origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${STYLE_SOURCE}`,
  `script-src ${LIVE_SCRIPT_SOURCE}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Headers of every dashboard answer. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** What every page's layout needs besides the page's own data. */
export interface LayoutData {
  title: string;
  /** Which navigation entry is current. */
  nav?: "overview" | "runs" | "";
  /** Whether to show the navigation and the sign-out button. */
  signedIn: boolean;
}

/** The dashboard's template engine. */
export class Views {
  readonly #eta: Eta;

  constructor(dir: string = VIEWS_DIR) {
    this.#eta = new Eta({
      views: dir,
      cache: true,
      autoEscape: true,
      autoTrim: [false, "nl"],
    });
  }

  /** Renders a page template (which names its layout) to HTML. */
  page(template: string, data: LayoutData & Record<string, unknown>): string {
    return this.#eta.render(`./${template}`, {
      nav: "",
      ...data,
      css: DASHBOARD_CSS,
      liveScript: LIVE_SCRIPT,
    });
  }
}

/** An HTML answer with the dashboard's headers. */
export function htmlResponse(
  html: string,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(html, { status, headers: { ...PAGE_HEADERS, ...headers } });
}
