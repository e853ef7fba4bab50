/**
 * Where the GitHub client's token comes from: a personal access token, or a
 * GitHub App's installation token.
 *
 * Installation tokens live one hour. Octokit's `@octokit/auth-app` caches them
 * for 59 minutes from when they were fetched (an LRU on the real clock; it
 * ignores `expires_at`), which leaves a token handed to a long `git push` with
 * seconds to live. So this module keeps the token itself, reads `expires_at`,
 * and fetches a fresh one (`auth({ type: "installation", refresh: true })`)
 * once less than `refreshMarginMs` (default 5 minutes) remains; concurrent
 * callers share one fetch. The JWT signing and the token request are octokit's
 * (`App` from `octokit`).
 *
 * @module
 */
import { App } from "octokit";
import { GitHubError } from "../../domain/ports/github.ts";
import type { Logger } from "../../domain/ports/logger.ts";

/** A source of the token the client sends and hands to git. */
export interface TokenSource {
  readonly kind: "token" | "app";
  /** A token with life left. */
  token(): Promise<string>;
  /** Forgets the current token after a 401; true when a fresh one may help. */
  invalidate(): boolean;
  /** Permissions granted to the current token (installation tokens), else null. */
  grantedPermissions(): Record<string, string> | null;
  /** Every secret value it has held, for redaction. */
  secrets(): string[];
}

/** A personal access token (`GITHUB_TOKEN`). */
export class PersonalAccessToken implements TokenSource {
  readonly kind = "token";
  constructor(readonly value: string) {}
  token(): Promise<string> {
    return Promise.resolve(this.value);
  }
  invalidate(): boolean {
    return false;
  }
  grantedPermissions(): null {
    return null;
  }
  secrets(): string[] {
    return [this.value];
  }
}

/** A GitHub App's credentials (`GITHUB_APP_ID`, `GITHUB_APP_PRIVATE_KEY`, `GITHUB_APP_INSTALLATION_ID`). */
export interface AppCredentials {
  appId: string | number;
  /** PEM, PKCS#1 or PKCS#8; `\n` escapes (a one-line environment value) are accepted. */
  privateKey: string;
  /** When absent, the app's only installation is used. */
  installationId?: string | number | null;
}

/** What {@link InstallationTokens} needs besides the credentials. */
export interface InstallationTokensOptions {
  /** The octokit class (base URL, request policy) the app's own requests use. */
  // deno-lint-ignore no-explicit-any
  Octokit: any;
  now: () => number;
  /** Refresh when less than this is left (default 5 minutes). */
  refreshMarginMs?: number;
  logger?: Logger;
}

interface CurrentToken {
  token: string;
  expiresAtMs: number;
  permissions: Record<string, string>;
}

/** Installation tokens of a GitHub App, refreshed before they expire. */
export class InstallationTokens implements TokenSource {
  readonly kind = "app";
  readonly #app: InstanceType<typeof App>;
  readonly #privateKey: string;
  readonly #configuredInstallation: number | null;
  readonly #now: () => number;
  readonly #marginMs: number;
  readonly #logger?: Logger;
  readonly #issued: string[] = [];
  #installationId: number | null = null;
  #current: CurrentToken | null = null;
  #pending: Promise<CurrentToken> | null = null;

  constructor(credentials: AppCredentials, options: InstallationTokensOptions) {
    this.#privateKey = credentials.privateKey.includes("\\n")
      ? credentials.privateKey.replace(/\\n/g, "\n")
      : credentials.privateKey;
    this.#configuredInstallation = credentials.installationId
      ? Number(credentials.installationId)
      : null;
    this.#now = options.now;
    this.#marginMs = options.refreshMarginMs ?? 5 * 60_000;
    this.#logger = options.logger;
    const silent = () => {};
    this.#app = new App({
      appId: credentials.appId,
      privateKey: this.#privateKey,
      Octokit: options.Octokit,
      log: { debug: silent, info: silent, warn: silent, error: silent },
    });
  }

  async token(): Promise<string> {
    const current = this.#current;
    if (current && this.#now() < current.expiresAtMs - this.#marginMs) return current.token;
    this.#pending ??= this.#fetch().finally(() => (this.#pending = null));
    return (await this.#pending).token;
  }

  invalidate(): boolean {
    this.#current = null;
    return true;
  }

  grantedPermissions(): Record<string, string> | null {
    return this.#current?.permissions ?? null;
  }

  secrets(): string[] {
    return [this.#privateKey, ...this.#issued];
  }

  async #fetch(): Promise<CurrentToken> {
    const installationId = await this.#resolveInstallation();
    const auth = await this.#app.octokit.auth({
      type: "installation",
      installationId,
      refresh: true,
    }) as { token: string; expiresAt?: string; permissions?: Record<string, string> };
    const expiresAtMs = Date.parse(auth.expiresAt ?? "") || this.#now() + 3_600_000;
    this.#issued.push(auth.token);
    this.#current = { token: auth.token, expiresAtMs, permissions: auth.permissions ?? {} };
    this.#logger?.info("GitHub App installation token fetched", {
      installationId,
      expiresAt: new Date(expiresAtMs).toISOString(),
    });
    return this.#current;
  }

  async #resolveInstallation(): Promise<number> {
    if (this.#configuredInstallation) return this.#configuredInstallation;
    if (this.#installationId) return this.#installationId;
    const { data } = await this.#app.octokit.request("GET /app/installations");
    if (data.length !== 1) {
      throw new GitHubError(
        "permanent",
        "unexpected",
        0,
        `the GitHub App has ${data.length} installations: set GITHUB_APP_INSTALLATION_ID`,
      );
    }
    this.#installationId = data[0].id;
    return data[0].id;
  }
}
