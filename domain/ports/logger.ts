/**
 * The logging port: structured lines with fields. The adapter
 * (`adapters/log/json_logger.ts`) writes JSON lines and redacts secrets by value
 * and by shape, so callers may pass errors and fields without pre-scrubbing.
 *
 * @module
 */

/** Fields attached to a log line (run id, issue key, duration, …). */
export type LogFields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}
