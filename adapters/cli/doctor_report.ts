/**
 * The lines `deno task doctor` prints: one per check, green ✓, red ✗ (with
 * the fix) or yellow ! (a warning, or a check skipped and why).
 *
 * @module
 */
import { makeStyle } from "./demo_narrate.ts";

/** How a check came out. `warn` and `skip` do not fail the doctor. */
export type CheckStatus = "ok" | "fail" | "warn" | "skip";

/** One line of the report. */
export interface CheckLine {
  status: CheckStatus;
  /** What was checked, e.g. `jira`, `github acme/online-docs`. */
  check: string;
  message: string;
  /** What to do about it (always given for `fail`). */
  fix?: string;
}

/** Options of {@link Report}. */
export interface ReportOptions {
  /** Applied to every message and fix (secret redaction). */
  redact?: (text: string) => string;
  /** Called with each line as it is added. */
  onLine?: (line: CheckLine) => void;
}

/** Collects lines; `ok`, `fail`, `warn`, `skip` add one each. */
export class Report {
  readonly lines: CheckLine[] = [];
  readonly #redact: (text: string) => string;
  readonly #onLine?: (line: CheckLine) => void;

  /** An empty report; see {@link ReportOptions}. */
  constructor(options: ReportOptions = {}) {
    this.#redact = options.redact ?? ((t) => t);
    this.#onLine = options.onLine;
  }

  #add(status: CheckStatus, check: string, message: string, fix?: string): void {
    const line: CheckLine = { status, check, message: this.#redact(message) };
    if (fix) line.fix = this.#redact(fix);
    this.lines.push(line);
    this.#onLine?.(line);
  }

  /** A passed check. */
  ok(check: string, message: string): void {
    this.#add("ok", check, message);
  }
  /** A failed check and its fix. */
  fail(check: string, message: string, fix: string): void {
    this.#add("fail", check, message, fix);
  }
  /** A warning (does not fail the doctor). */
  warn(check: string, message: string, fix?: string): void {
    this.#add("warn", check, message, fix);
  }
  /** A check not run, and why. */
  skip(check: string, message: string): void {
    this.#add("skip", check, message);
  }
  /** 1 when any check failed, else 0. */
  get exitCode(): number {
    return this.lines.some((l) => l.status === "fail") ? 1 : 0;
  }
}

const MARKS: Record<CheckStatus, string> = { ok: "✓", fail: "✗", warn: "!", skip: "!" };

/** The printable text of a line (two lines when it has a fix). */
export function formatLine(line: CheckLine, color: boolean): string {
  const s = makeStyle(color);
  const paint = line.status === "ok" ? s.green : line.status === "fail" ? s.red : s.yellow;
  const skipped = line.status === "skip" ? "skipped: " : "";
  let text = `${paint(MARKS[line.status])} ${s.bold(line.check)}: ${skipped}${line.message}`;
  if (line.fix) text += `\n    ${paint("fix:")} ${line.fix}`;
  return text;
}
