/**
 * What the tool loop needs from a tool set: its definitions and a way to run a
 * call. The worktree-confined tools (`adapters/workspace/tools.ts`) implement
 * it; the loop never knows what a tool does, except that an outcome may end
 * the loop (`finish`).
 *
 * @module
 */
import type { ToolDefinition } from "../ports/llm.ts";

/** The result of running one tool call. */
export interface ToolOutcome {
  /** Text for the model (a result, or what went wrong and how to retry). */
  content: string;
  /** True when the call was refused or failed; the model sees it as an error. */
  isError: boolean;
  /** Set by the tool that ends the work (`finish`), with the model's summary. */
  finish?: { summary: string };
}

/** A set of tools the model may call. */
export interface ToolExecutor {
  readonly definitions: readonly ToolDefinition[];
  /**
   * Runs one call. Expected failures (bad input, refused path, missing file)
   * are outcomes with `isError`; a rejection is treated as an internal error
   * and reported to the model as such.
   */
  execute(name: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<ToolOutcome>;
  /** Size of the changes made so far, in bytes (for the diff budget). */
  diffBytes?(): Promise<number>;
}
