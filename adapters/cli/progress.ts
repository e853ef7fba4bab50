/**
 * Progress on stderr for long CLI work: a line updated in place on a terminal,
 * one line every few seconds otherwise (logs, CI).
 *
 * @module
 */

const encoder = new TextEncoder();

/** A progress reporter: call with (done, total); `.done(message)` ends it. */
export interface Progress {
  (done: number, total: number): void;
  done(message: string): void;
}

/**
 * True when progress is not wanted: `AI_RUNNER_QUIET=1` (set by the test
 * tasks, so the suite's output is the tests' own) unless `VERBOSE` is set.
 */
export function progressMuted(env: { get(name: string): string | undefined } = Deno.env): boolean {
  try {
    return env.get("AI_RUNNER_QUIET") === "1" && !env.get("VERBOSE");
  } catch {
    return false; // no env permission: keep the default
  }
}

/** Creates a progress reporter labelled `label`. */
export function progressLine(label: string): Progress {
  const tty = Deno.stderr.isTerminal();
  let last = 0;
  const muted = progressMuted();
  const write = (s: string) => {
    if (!muted) Deno.stderr.writeSync(encoder.encode(s));
  };
  const report = ((done: number, total: number) => {
    const now = performance.now();
    if (now - last < (tty ? 100 : 5_000)) return;
    last = now;
    const pct = total > 0 ? ` (${((100 * done) / total).toFixed(1)}%)` : "";
    const text = `${label}: ${done.toLocaleString("en")} / ${total.toLocaleString("en")}${pct}`;
    write(tty ? `\r${text}\x1b[K` : `${text}\n`);
  }) as Progress;
  report.done = (message: string) => write(tty ? `\r${message}\x1b[K\n` : `${message}\n`);
  return report;
}
