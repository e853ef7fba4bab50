/**
 * The sandbox adapters: {@link BwrapSandbox} (the default) and
 * {@link OffSandbox} (`SANDBOX=off`, trusted local development only).
 *
 * @module
 */
import type { Sandbox } from "../../domain/ports/sandbox.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { BwrapSandbox } from "./bwrap.ts";
import { OffSandbox } from "./off.ts";

export { BwrapSandbox, type BwrapSandboxOptions } from "./bwrap.ts";
export { OffSandbox, SANDBOX_OFF_WARNING } from "./off.ts";
export { DEFAULT_SANDBOX_LIMITS } from "./limits.ts";

/** The sandbox the `SANDBOX` setting names; `off` warns through `logger`. */
export function openSandbox(kind: "bwrap" | "off", logger?: Logger): Sandbox {
  return kind === "off" ? new OffSandbox(logger) : new BwrapSandbox({ logger });
}
