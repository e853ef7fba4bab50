/**
 * Runs one spawned process to its end under a timeout and an abort signal,
 * collecting its bounded output. On timeout or abort the adapter's `kill`
 * takes the whole tree down, and the pipes are let go at most a grace period
 * later (a process that escaped the kill cannot hold the runner on its pipe).
 *
 * @module
 */
import { BoundedOutput, drain } from "./output.ts";

/** How {@link supervise} ends a process. */
export interface Supervision {
  timeoutMs: number;
  signal?: AbortSignal;
  maxOutputChars: number;
  /** Kills the process and everything it started; resolves once they are gone. */
  kill(child: Deno.ChildProcess): Promise<void>;
}

/** What {@link supervise} saw. */
export interface Supervised {
  code: number;
  killed: boolean;
  timedOut: boolean;
  aborted: boolean;
  output: string;
  truncated: boolean;
  durationMs: number;
}

/** Longest the pipes are read after the process is gone (a grandchild may hold them). */
const PIPE_GRACE_MS = 1000;

/** Waits for `child` under `supervision`; never rejects for anything the process does. */
export async function supervise(
  child: Deno.ChildProcess,
  started: number,
  supervision: Supervision,
): Promise<Supervised> {
  const output = new BoundedOutput(supervision.maxOutputChars);
  let timedOut = false;
  let aborted = false;
  let killing: Promise<void> | null = null;
  const kill = () => {
    killing ??= supervision.kill(child).catch(() => {});
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, supervision.timeoutMs);
  const onAbort = () => {
    aborted = true;
    kill();
  };
  if (supervision.signal?.aborted) onAbort();
  else supervision.signal?.addEventListener("abort", onAbort, { once: true });

  let release!: () => void;
  const stop = new Promise<void>((resolve) => (release = resolve));
  const reading = Promise.all([
    drain(child.stdout, output, stop),
    drain(child.stderr, output, stop),
  ]);
  const status = await child.status;
  clearTimeout(timer);
  supervision.signal?.removeEventListener("abort", onAbort);
  if (killing) await killing;
  const grace = setTimeout(release, PIPE_GRACE_MS);
  await reading;
  clearTimeout(grace);
  release();
  return {
    code: status.code,
    killed: timedOut || aborted || status.signal !== null,
    timedOut,
    aborted,
    output: output.text(),
    truncated: output.truncated,
    durationMs: Math.round(performance.now() - started),
  };
}
