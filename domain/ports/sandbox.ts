/**
 * The sandbox port (DESIGN §5a): runs a command whose behaviour the model or the
 * repository can influence (setup, validation, `run_command`, `search`) confined
 * to a worktree: no view of the runner's files, processes, secrets or network
 * beyond what the request allows, limits on memory, processes, file size and
 * CPU, and the whole process tree gone within two seconds of a timeout or an
 * abort. Adapters: `adapters/sandbox/` (bubblewrap; `off` for trusted local
 * development).
 *
 * @module
 */

/** Which sandbox ran a command: `off` means it ran unconfined (`SANDBOX=off`). */
export type SandboxKind = "bwrap" | "off";

/**
 * What the command may reach on the network: nothing (`none`, the default),
 * the network as the host sees it (`open`), or only the listed hosts through an
 * allow-list proxy the sandbox enforces (`allowHosts`).
 */
export type SandboxNetwork =
  | { mode: "none" }
  | { mode: "open" }
  | { mode: "allowHosts"; hosts: readonly string[] };

/** Resource limits applied to every process of a sandboxed command. */
export interface SandboxLimits {
  /** Largest data segment (heap) per process, in bytes (`RLIMIT_DATA`). */
  memoryBytes: number;
  /** Most processes at once (`RLIMIT_NPROC`). */
  processes: number;
  /** Largest file a process may write, in bytes (`RLIMIT_FSIZE`). */
  fileSizeBytes: number;
  /** CPU seconds per process (`RLIMIT_CPU`). */
  cpuSeconds: number;
  /** Size of the fresh `/tmp` (and `HOME` inside it), in bytes. */
  tmpBytes: number;
}

/** One command to run confined. */
export interface SandboxCommand {
  /** The program and its arguments; use {@link shellCommand} for a command line. */
  argv: readonly string[];
  /** The worktree: mounted read-write and the working directory. */
  cwd: string;
  /** After this long the whole process tree is killed and `timedOut` is true. */
  timeoutMs: number;
  /** Aborting kills the whole process tree; the result has `aborted`. */
  signal?: AbortSignal;
  /** Default `{mode: "none"}`. */
  network?: SandboxNetwork;
  /** Declared, non-secret variables added to PATH, HOME and the locale. */
  env?: Readonly<Record<string, string>>;
  limits?: Partial<SandboxLimits>;
  /** Characters of output kept (head and tail together); default 32 000. */
  maxOutputChars?: number;
}

/** How a sandboxed command ended. */
export interface SandboxResult {
  /** The command's exit code; null when it was killed (timeout, abort, signal). */
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** Stdout and stderr interleaved as they came, head and tail kept when long. */
  output: string;
  /** True when the middle of the output was cut. */
  truncated: boolean;
  durationMs: number;
  /** Which sandbox ran it; `off` means unconfined. */
  sandbox: SandboxKind;
}

/** Runs commands confined to a worktree. */
export interface Sandbox {
  readonly kind: SandboxKind;
  /**
   * Runs a command; resolves when it and every process it started are gone.
   * Rejects only with {@link SandboxUnavailable} (the sandbox could not start);
   * whatever the command does is in the result.
   */
  run(command: SandboxCommand): Promise<SandboxResult>;
  /** Proves the sandbox can start here; rejects with {@link SandboxUnavailable}. */
  check(): Promise<void>;
}

/** The sandbox cannot start (no bwrap, user namespaces off): fail closed, with the fix. */
export class SandboxUnavailable extends Error {
  /** Never worth retrying as it is: the run fails with this reason. */
  readonly kind = "permanent" as const;
  constructor(message: string, readonly fix: string) {
    super(`${message}. Fix: ${fix}`);
    this.name = "SandboxUnavailable";
  }
}

/** The argv of a shell command line (`sh -c <line>`). */
export function shellCommand(line: string): string[] {
  return ["sh", "-c", line];
}

/**
 * Variables a routing entry may not declare: the sandbox sets them itself
 * (PATH, HOME, locale, proxies) or they change how programs load code.
 */
export const RESERVED_ENV =
  /^(PATH|HOME|TMPDIR|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_.*|TERM|(HTTPS?|ALL|NO|FTP)_PROXY|(https?|all|no|ftp)_proxy|LD_.*|GIT_.*|BASH_ENV|ENV|DENO_DIR|IFS|PS4)$/;
