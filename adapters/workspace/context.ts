/**
 * What every workspace tool handler shares: the root, the limits that bound
 * its answers, and the change tracker.
 *
 * @module
 */
import type { ToolOutcome } from "../../domain/agent/tool_executor.ts";
import type { Sandbox } from "../../domain/ports/sandbox.ts";
import type { ChangeTracker } from "./changes.ts";
import type { WorktreeRoot } from "./paths.ts";

/** Bounds on what the tools read and answer. */
export interface WorkspaceToolLimits {
  /** Most entries `list_files` shows. */
  maxListEntries: number;
  /** Most directory entries a walk (list, search) visits. */
  maxWalkEntries: number;
  /** Lines `read_file` shows when no limit is given. */
  defaultReadLines: number;
  /** Most lines `read_file` shows. */
  maxReadLines: number;
  /** Longest line shown (longer lines are cut). */
  maxLineChars: number;
  /** Longest answer of any tool, in characters. */
  maxOutputChars: number;
  /** Most matches `search` shows. */
  maxSearchResults: number;
  /** Largest file read, searched or edited, in bytes. */
  maxFileBytes: number;
  /** Largest content `write_file` accepts, in bytes. */
  maxWriteBytes: number;
  /** Most `run_validation` calls in one session. */
  maxValidationRuns: number;
  /** Seconds a `run_command` runs when the model names no timeout. */
  defaultCommandSeconds: number;
  /** Most seconds a `run_command` may run. */
  maxCommandSeconds: number;
  /** Seconds a `search` may run. */
  searchSeconds: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: WorkspaceToolLimits = {
  maxListEntries: 500,
  maxWalkEntries: 20_000,
  defaultReadLines: 400,
  maxReadLines: 2000,
  maxLineChars: 2000,
  maxOutputChars: 40_000,
  maxSearchResults: 200,
  maxFileBytes: 2 * 1024 * 1024,
  maxWriteBytes: 1024 * 1024,
  maxValidationRuns: 10,
  defaultCommandSeconds: 120,
  maxCommandSeconds: 600,
  searchSeconds: 30,
};

/** Shared by the tool handlers. */
export interface ToolContext {
  root: WorktreeRoot;
  limits: WorkspaceToolLimits;
  changes: ChangeTracker;
  /** Where `run_command` and `search` run; without it `run_command` is unavailable. */
  sandbox?: Sandbox;
  /** Declared, non-secret variables `run_command` sees. */
  commandEnv: Readonly<Record<string, string>>;
  /** Scrubs command output of secrets. */
  redact: (text: string) => string;
}

/** A successful answer. */
export function ok(content: string): ToolOutcome {
  return { content, isError: false };
}

/** A refusal or failure the model can act on. */
export function fail(content: string): ToolOutcome {
  return { content, isError: true };
}
