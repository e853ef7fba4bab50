/**
 * Default resource limits of a sandboxed command and their `prlimit`
 * arguments. Limits are set soft and hard, so the command cannot raise them.
 *
 * @module
 */
import type { SandboxLimits } from "../../domain/ports/sandbox.ts";

const GiB = 1024 * 1024 * 1024;

/** Generous for builds and test suites, small enough that one run cannot take the host down. */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryBytes: 4 * GiB,
  processes: 512,
  fileSizeBytes: 2 * GiB,
  cpuSeconds: 3600,
  tmpBytes: 2 * GiB,
};

/** The limits of one command: the defaults overridden by the request. */
export function resolveLimits(overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits = { ...DEFAULT_SANDBOX_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof SandboxLimits, number][]) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`sandbox limit ${key} must be a positive integer`);
    }
    limits[key] = value;
  }
  return limits;
}

/** `prlimit … --` arguments (RLIMIT_DATA, NPROC, FSIZE, CPU; no core dumps). */
export function prlimitArgs(limits: SandboxLimits): string[] {
  return [
    `--data=${limits.memoryBytes}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--cpu=${limits.cpuSeconds}`,
    "--core=0",
    "--",
  ];
}
