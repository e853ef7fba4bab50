/**
 * The JSON-lines logger: one object per line on stderr (or a given sink), with
 * `time`, `level`, `msg` and fields, every string redacted.
 *
 * @module
 */
import type { LogFields, Logger } from "../../domain/ports/logger.ts";
import { Redactor } from "./redact.ts";

/** Log levels, least severe first. */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link JsonLogger}. */
export interface JsonLoggerOptions {
  level?: LogLevel;
  redactor?: Redactor;
  /** Where lines go; default stderr. */
  sink?: (line: string) => void;
  fields?: LogFields;
}

const encoder = new TextEncoder();

/** A {@link Logger} writing redacted JSON lines. */
export class JsonLogger implements Logger {
  readonly #level: number;
  readonly #redactor: Redactor;
  readonly #sink: (line: string) => void;
  readonly #fields: LogFields;

  constructor(options: JsonLoggerOptions = {}) {
    this.#level = RANK[options.level ?? "info"];
    this.#redactor = options.redactor ?? new Redactor([]);
    this.#sink = options.sink ?? ((line) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
    this.#fields = options.fields ?? {};
  }

  #write(level: LogLevel, message: string, fields?: LogFields): void {
    if (RANK[level] < this.#level) return;
    const line = {
      time: new Date().toISOString(),
      level,
      msg: message,
      ...this.#fields,
      ...fields,
    };
    this.#sink(JSON.stringify(this.#redactor.redactValue(line)));
  }

  debug(message: string, fields?: LogFields): void {
    this.#write("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#write("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#write("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#write("error", message, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger({
      level: (Object.keys(RANK) as LogLevel[]).find((l) => RANK[l] === this.#level),
      redactor: this.#redactor,
      sink: this.#sink,
      fields: { ...this.#fields, ...fields },
    });
  }
}
