/**
 * Test chatter only on request: `note` prints when `VERBOSE` is set, so the
 * suite's output is the tests' own results (a failing test says what failed
 * in its assertion message).
 *
 * @module
 */

/** True when `VERBOSE` is set (to anything but empty or 0). */
export const VERBOSE: boolean = (() => {
  try {
    const v = Deno.env.get("VERBOSE");
    return v !== undefined && v !== "" && v !== "0";
  } catch {
    return false;
  }
})();

/** Prints `line` when {@link VERBOSE}. */
export function note(line: string): void {
  if (VERBOSE) console.log(line);
}
