/**
 * AI Runner as real OS processes against a stand-in world: `main.ts server`
 * and `main.ts worker` spawned as children (`deno run -A main.ts <role>`, cwd
 * the checkout, environment the world's plus overrides), their JSON log lines
 * collected from stderr, and the helpers the process tests share: wait for a
 * log line, SIGKILL or stop a process, send the Jira webhook to a server, poll
 * with a deadline that fails with a clear message.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { WORLD_SECRETS } from "../../adapters/standins/world.ts";

/** The checkout's root (the children's cwd) and its entry point. */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** One JSON log line of a child (a line that is not JSON: `{msg: <text>, raw: true}`). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** The roles `main.ts` runs as a long-lived process. */
export type Role = "server" | "worker" | "start";

/** Options of {@link spawnRunner}. */
export interface SpawnOptions {
  /** A name for messages (default `<role>-<n>`). */
  name?: string;
  /** Wait until the process says it is ready (default true). */
  waitReady?: boolean;
  /** Deadline for readiness (default 60 s: a cold `deno run` on a busy machine). */
  readyTimeoutMs?: number;
  /** Keep at most this many log lines (default 50 000; the oldest are dropped). */
  maxLines?: number;
}

/** A `main.ts` child process and what it logged. */
export interface RunnerProcess extends AsyncDisposable {
  readonly role: Role;
  readonly name: string;
  readonly pid: number;
  /** The worker id this process claims runs as (`${hostname}-${pid}`). */
  readonly workerId: string;
  /** The server's base URL (server and start roles, once ready). */
  readonly url: string;
  /** Every log line so far (bounded by `maxLines`). */
  readonly lines: LogLine[];
  /** Resolves with the exit status. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** True once the process ended. */
  readonly ended: boolean;
  /**
   * Resolves with the first line (already logged or coming) matching `match`.
   * Rejects with `what` and the log's tail at the deadline or when the process ends.
   */
  waitForLine(
    match: (line: LogLine) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<LogLine>;
  /** Sends a signal (if still running) and waits for the exit. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); waits for the exit. */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
  /** The last `n` log lines as text (for failure messages). */
  tail(n?: number): string;
}

let spawned = 0;

/** Spawns `deno run -A main.ts <role>` with `env`; by default waits until it is ready. */
export async function spawnRunner(
  role: Role,
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<RunnerProcess> {
  const name = options.name ?? `${role}-${++spawned}`;
  const maxLines = options.maxLines ?? 50_000;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, role],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  let url = "";
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (text.trim() === "") continue;
        let line: LogLine;
        try {
          const parsed = JSON.parse(text);
          line = parsed && typeof parsed === "object" ? parsed : { msg: text, raw: true };
        } catch {
          line = { msg: text, raw: true };
        }
        lines.push(line);
        if (lines.length > maxLines) lines.splice(0, lines.length - maxLines);
      }
      wake();
    }
    if (buffer.trim() !== "") lines.push({ msg: buffer, raw: true });
  })().catch(() => {});
  const exited = (async () => {
    const status = await child.status;
    await reading;
    lines.push({
      msg: `[${name} exited: code ${status.code}${status.signal ? `, ${status.signal}` : ""}]`,
      raw: true,
    });
    ended = true;
    wake();
    return status;
  })();

  const tail = (n = 30) =>
    lines.slice(-n).map((l) => (l.raw ? String(l.msg) : JSON.stringify(l))).join("\n");

  const waitForLine = (
    match: (line: LogLine) => boolean,
    what: string,
    timeoutMs = 60_000,
  ): Promise<LogLine> => {
    let checked = 0;
    return new Promise<LogLine>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = () => {
        waiters.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        // `lines` may have been trimmed: re-scan from where it could start.
        for (let i = Math.min(checked, lines.length); i < lines.length; i++) {
          if (match(lines[i])) {
            done();
            resolve(lines[i]);
            return;
          }
        }
        checked = lines.length;
        if (ended) {
          done();
          reject(new Error(`${name} ended before ${what}; its last lines:\n${tail()}`));
        }
      };
      timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no ${what} within ${timeoutMs} ms; its last lines:\n${tail()}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  };

  const kill = async (signal: Deno.Signal = "SIGKILL") => {
    if (!ended) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
    return await exited;
  };

  const stop = async (graceMs = 10_000) => {
    if (ended) return await exited;
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const proc: RunnerProcess = {
    role,
    name,
    pid: child.pid,
    workerId: `${Deno.hostname()}-${child.pid}`,
    get url() {
      return url;
    },
    lines,
    exited,
    get ended() {
      return ended;
    },
    waitForLine,
    kill,
    stop,
    tail,
    [Symbol.asyncDispose]: async () => {
      await kill("SIGKILL");
    },
  };

  if (options.waitReady ?? true) {
    const readyTimeout = options.readyTimeoutMs ?? 60_000;
    try {
      if (role !== "worker") {
        const listening = await waitForLine(
          (l) => l.msg === "server listening" && typeof l.url === "string",
          "'server listening' line",
          readyTimeout,
        );
        url = String(listening.url);
      }
      if (role !== "server") {
        await waitForLine((l) => l.msg === "worker started", "'worker started' line", readyTimeout);
      }
    } catch (error) {
      await kill("SIGKILL");
      throw error;
    }
  }
  return proc;
}

/** Ends every process still running (SIGKILL) and waits for them: for `finally` blocks. */
export async function killAll(processes: Iterable<RunnerProcess>): Promise<void> {
  await Promise.all([...processes].map((p) => p.kill("SIGKILL")));
}

/** The answer of `POST /jira/webhook`. */
export interface WebhookAnswer {
  status: "queued" | "coalesced" | "duplicate";
  runId: string;
}

/**
 * Sends the Jira Automation webhook for `issueKey` (the custom `{issueKey}`
 * body, as `tests/support/loop.ts` does) to the server at `url`; asserts 200.
 * The caller sets the ticket's assignee to the AI user first, as Jira would.
 */
export async function sendJiraWebhook(
  url: string,
  issueKey: string,
  options: { idempotencyKey?: string; updated?: string } = {},
): Promise<WebhookAnswer> {
  const res = await fetch(`${url}/jira/webhook`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-jira-webhook-secret": WORLD_SECRETS.jiraWebhook,
      ...(options.idempotencyKey ? { "x-idempotency-key": options.idempotencyKey } : {}),
    },
    body: JSON.stringify({
      issueKey,
      ...(options.updated ? { updated: options.updated } : {}),
      initiator: { accountId: FAKE_REVIEWER.accountId, displayName: FAKE_REVIEWER.displayName },
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST ${url}/jira/webhook for ${issueKey}: ${text}`);
  return JSON.parse(text) as WebhookAnswer;
}

/**
 * Polls `probe` every `intervalMs` until it answers a value other than
 * `undefined`/`false`; fails with `what` (and `detail()`) at the deadline.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; detail?: () => string | Promise<string> } =
    {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) {
      const detail = options.detail ? `\n${await options.detail()}` : "";
      throw new Error(`gave up waiting (${timeoutMs} ms) for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Milliseconds to sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Counts `git rev-list main..<branch>` on the bare remote. */
export async function commitsAhead(remote: string, branch: string, base = "main"): Promise<number> {
  const out = await new Deno.Command("git", {
    args: ["--git-dir", remote, "rev-list", "--count", `${base}..${branch}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git rev-list ${base}..${branch}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return Number(new TextDecoder().decode(out.stdout).trim());
}
