/**
 * The {@link Sandbox} on bubblewrap (Debian's `bwrap`). See `layout.ts` for
 * what a command sees. When the runner is root, bwrap runs privileged (no
 * user namespace) and `setpriv` drops the command to an unprivileged uid
 * (default 65534), which is what makes the process limit bite (the kernel
 * exempts root from `RLIMIT_NPROC`): the worktree is handed to that uid
 * before each command. Otherwise bwrap makes an unprivileged user namespace.
 *
 * On timeout or abort the outer bwrap and the PID namespace's init are killed
 * (the kernel then kills every process in the namespace, `setsid` or not) and
 * `run` resolves only once the init is gone, i.e. the whole tree.
 *
 * @module
 */
import { join } from "node:path";
import {
  type Sandbox,
  type SandboxCommand,
  type SandboxResult,
  SandboxUnavailable,
} from "../../domain/ports/sandbox.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import {
  baseEnv,
  bwrapArgs,
  INSIDE,
  type Layout,
  SYSTEM_DIRS,
  type SystemEntry,
} from "./layout.ts";
import { resolveLimits } from "./limits.ts";
import { type AllowListProxy, BRIDGE_SCRIPT, startAllowListProxy } from "./proxy.ts";
import { supervise } from "./supervise.ts";

/** Options of {@link BwrapSandbox}. */
export interface BwrapSandboxOptions {
  /** The bwrap binary; default `bwrap` on PATH. */
  bwrapPath?: string;
  /** The uid/gid commands run as when the runner is root; default 65534 (nobody). */
  sandboxUid?: number;
  sandboxGid?: number;
  logger?: Logger;
}

const DEFAULT_OUTPUT = 32_000;
/** How long after the kill the namespace's init may take to go (the port promises 2 s). */
const KILL_WAIT_MS = 2000;

/** Commands confined by bubblewrap. */
export class BwrapSandbox implements Sandbox {
  readonly kind = "bwrap" as const;
  readonly #bwrap: string;
  readonly #dropTo: { uid: number; gid: number } | null;
  readonly #logger?: Logger;
  #checked: Promise<void> | null = null;
  #system: SystemEntry[] | null = null;
  #assets: Promise<string> | null = null;

  constructor(options: BwrapSandboxOptions = {}) {
    this.#bwrap = options.bwrapPath ?? "bwrap";
    this.#dropTo = Deno.uid() === 0
      ? { uid: options.sandboxUid ?? 65534, gid: options.sandboxGid ?? 65534 }
      : null;
    this.#logger = options.logger;
  }

  /** Starts a trivial sandbox once; remembers success, retries after a failure. */
  check(): Promise<void> {
    this.#checked ??= this.#probe().catch((error) => {
      this.#checked = null;
      throw error;
    });
    return this.#checked;
  }

  async run(command: SandboxCommand): Promise<SandboxResult> {
    await this.check();
    return await this.#run(command);
  }

  async #probe(): Promise<void> {
    const dir = await Deno.makeTempDir({ prefix: "ai-runner-sandbox-check-" });
    try {
      const result = await this.#run({
        argv: ["sh", "-c", "echo sandbox-ok"],
        cwd: dir,
        timeoutMs: 30_000,
      });
      if (result.exitCode !== 0 || !result.output.includes("sandbox-ok")) {
        throw unavailable(result.output);
      }
    } catch (error) {
      if (error instanceof SandboxUnavailable) throw error;
      throw unavailable(error instanceof Error ? error.message : String(error));
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }

  /** Files every sandbox of this instance shares (made once): the gitfile, the bridge. */
  async #assetDir(): Promise<string> {
    this.#assets ??= (async () => {
      const dir = await Deno.makeTempDir({ prefix: "ai-runner-sandbox-" });
      await Deno.writeTextFile(join(dir, "gitfile"), `gitdir: ${INSIDE.gitDir}\n`);
      await Deno.writeTextFile(join(dir, "bridge.js"), BRIDGE_SCRIPT);
      // git inside refuses a gitfile owned by another user ("dubious ownership").
      if (this.#dropTo) await Deno.chown(join(dir, "gitfile"), this.#dropTo.uid, this.#dropTo.gid);
      globalThis.addEventListener("unload", () => {
        try {
          Deno.removeSync(dir, { recursive: true });
        } catch { /* gone */ }
      });
      return dir;
    })();
    return await this.#assets;
  }

  async #run(command: SandboxCommand): Promise<SandboxResult> {
    const started = performance.now();
    const worktree = await Deno.realPath(command.cwd);
    const limits = resolveLimits(command.limits);
    const assets = await this.#assetDir();
    const network = command.network ?? { mode: "none" };
    let proxy: AllowListProxy | null = null;
    try {
      let proxyPaths: Layout["proxy"];
      if (network.mode === "allowHosts") {
        const socket = join(assets, `proxy-${crypto.randomUUID()}.sock`);
        proxy = startAllowListProxy(socket, network.hosts);
        await Deno.chmod(socket, 0o666);
        proxyPaths = { socket, bridgeScript: join(assets, "bridge.js"), deno: Deno.execPath() };
      }
      if (this.#dropTo) await handOver(worktree, this.#dropTo);
      const env: Record<string, string> = { ...baseEnv(), ...command.env };
      if (proxyPaths) {
        const url = `http://127.0.0.1:${INSIDE.proxyPort}`;
        for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) {
          env[name] = url;
        }
      }
      const args = bwrapArgs({
        worktree,
        dotGit: await kindOf(join(worktree, ".git")),
        gitFile: join(assets, "gitfile"),
        system: this.#system ??= await systemEntries(),
        dropTo: this.#dropTo,
        network: network.mode === "allowHosts" ? "proxy" : network.mode,
        proxy: proxyPaths,
        env,
        limits,
        argv: command.argv,
      });
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(this.#bwrap, {
          args,
          clearEnv: true,
          env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
      } catch (error) {
        throw unavailable(error instanceof Error ? error.message : String(error));
      }
      const seen = await supervise(child, started, {
        timeoutMs: command.timeoutMs,
        signal: command.signal,
        maxOutputChars: command.maxOutputChars ?? DEFAULT_OUTPUT,
        kill: (c) => killTree(c, this.#logger),
      });
      let output = seen.output;
      if (proxy?.denied.size) {
        output += `\n[sandbox: refused connections to ${[...proxy.denied].join(", ")} ` +
          "(not in allowHosts)]";
      }
      return {
        exitCode: seen.killed ? null : seen.code,
        timedOut: seen.timedOut,
        aborted: seen.aborted,
        output,
        truncated: seen.truncated,
        durationMs: seen.durationMs,
        sandbox: "bwrap",
      };
    } finally {
      if (proxy) {
        await proxy.close();
        await Deno.remove(proxy.path).catch(() => {});
      }
    }
  }
}

/** A SandboxUnavailable naming the likely fix for what bwrap said. */
export function unavailable(said: string): SandboxUnavailable {
  const text = said.trim().slice(0, 500);
  let fix = "install bubblewrap (apt-get install bubblewrap) and allow unprivileged user " +
    "namespaces, or set SANDBOX=off for trusted local development only";
  if (/Unknown option|unrecognized option/i.test(text)) {
    fix = "bubblewrap 0.8 or later is needed (Debian 12, Ubuntu 24.04): upgrade the " +
      "bubblewrap package";
  } else if (/No such file|not found|ENOENT/i.test(text)) {
    fix = "install bubblewrap: apt-get install bubblewrap";
  } else if (/uid map|setting up uid|apparmor/i.test(text)) {
    fix = "Ubuntu 24.04 restricts user namespaces with AppArmor: install an AppArmor profile " +
      "for /usr/bin/bwrap (the bwrap-userns-restrict profile) or set " +
      "kernel.apparmor_restrict_unprivileged_userns=0";
  } else if (/Operation not permitted|No permissions|creating new namespace/i.test(text)) {
    fix = "allow user namespaces: sysctl kernel.unprivileged_userns_clone=1 / " +
      "user.max_user_namespaces>0; in Docker run with --security-opt seccomp=unconfined " +
      "--security-opt apparmor=unconfined (see README, 'The sandbox')";
  }
  return new SandboxUnavailable(`the sandbox (bubblewrap) cannot start: ${text}`, fix);
}

async function kindOf(path: string): Promise<Layout["dotGit"]> {
  try {
    const info = await Deno.lstat(path);
    return info.isDirectory ? "directory" : "file";
  } catch {
    return null;
  }
}

/** The host's system directories as they are (real directory or merged-/usr symlink). */
async function systemEntries(): Promise<SystemEntry[]> {
  const entries: SystemEntry[] = [];
  for (const path of SYSTEM_DIRS) {
    try {
      const info = await Deno.lstat(path);
      entries.push({ path, symlink: info.isSymlink ? await Deno.readLink(path) : null });
    } catch { /* absent on this host */ }
  }
  return entries;
}

/**
 * Gives the sandbox uid ownership of a tree (not following symlinks, not the
 * worktree's `.git` pointer), so the dropped command can write it.
 */
async function handOver(root: string, owner: { uid: number; gid: number }): Promise<void> {
  const { code, stderr } = await new Deno.Command("find", {
    args: [
      root,
      "-path",
      `${root}/.git`,
      "-prune",
      "-o",
      "(",
      "!",
      "-uid",
      String(owner.uid),
      "-o",
      "!",
      "-gid",
      String(owner.gid),
      ")",
      "-exec",
      "chown",
      "-h",
      `${owner.uid}:${owner.gid}`,
      "{}",
      "+",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `could not hand the worktree to the sandbox user: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

/** The PID namespace init bwrap started (its only child), if it can be read. */
async function namespaceInit(outer: number): Promise<number | null> {
  try {
    const text = await Deno.readTextFile(`/proc/${outer}/task/${outer}/children`);
    const pid = Number(text.trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True while `pid` is alive (not gone, not a zombie). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Kills bwrap and the namespace's init; when the init is gone the kernel has
 * killed every process of the namespace. Waits up to {@link KILL_WAIT_MS}.
 */
async function killTree(child: Deno.ChildProcess, logger?: Logger): Promise<void> {
  const init = await namespaceInit(child.pid);
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  if (init === null) return;
  try {
    Deno.kill(init, "SIGKILL");
  } catch { /* already gone */ }
  const deadline = performance.now() + KILL_WAIT_MS;
  while (await alive(init)) {
    if (performance.now() > deadline) {
      logger?.error("a sandbox's processes outlived the kill", { pid: init });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
