/**
 * The bubblewrap command line of one sandboxed command: what the sandbox sees
 * (system directories read-only, the worktree read-write with a throwaway
 * `.git` in place of the shared cache's, a fresh `/tmp` and `HOME`, nothing
 * else of the host), its namespaces, its environment, and the chain of
 * `setpriv` (runner is root: drop to an unprivileged uid) and `prlimit`
 * (limits) in front of the command.
 *
 * @module
 */
import type { SandboxLimits } from "../../domain/ports/sandbox.ts";
import { prlimitArgs } from "./limits.ts";

/** Where the sandbox's own helpers appear inside it. */
export const INSIDE = {
  /** A throwaway git directory (on the fresh /tmp) the worktree's `.git` points at. */
  gitDir: "/tmp/.sandbox-git",
  /** The host allow-list proxy's unix socket. */
  proxySocket: "/.sandbox/proxy.sock",
  /** The TCP→unix bridge script and the runtime that runs it. */
  bridgeScript: "/.sandbox/bridge.js",
  deno: "/.sandbox/deno",
  /** Where the bridge listens; what `HTTP(S)_PROXY` names. */
  proxyPort: 3128,
  home: "/tmp/home",
} as const;

/** A directory of the host's root filesystem: a real directory or a symlink (merged /usr). */
export type SystemEntry = { path: string; symlink: string | null };

/** Host directories mounted read-only in every sandbox. */
export const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/**
 * Files and directories of `/etc` programs need (users, name resolution,
 * dynamic linker, certificates, alternatives, time zone). Nothing else of
 * `/etc`: it holds the host's secrets (shadow, ssh keys, mounted credentials).
 */
export const ETC_ENTRIES = [
  "passwd",
  "group",
  "hosts",
  "resolv.conf",
  "nsswitch.conf",
  "host.conf",
  "gai.conf",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "timezone",
  "alternatives",
  "ssl",
  "ca-certificates",
  "ca-certificates.conf",
  "mime.types",
  "protocols",
  "services",
  "os-release",
  "debian_version",
];

/** Everything {@link bwrapArgs} needs. */
export interface Layout {
  /** The worktree's real path; mounted read-write at the same path. */
  worktree: string;
  /** What the worktree's `.git` is on the host, if anything. */
  dotGit: "file" | "directory" | null;
  /** A host file holding `gitdir: <INSIDE.gitDir>`, mounted over a `.git` file. */
  gitFile: string;
  system: readonly SystemEntry[];
  /** Privileged (runner is root): no user namespace; `setpriv` drops to this uid/gid. */
  dropTo: { uid: number; gid: number } | null;
  network: "none" | "open" | "proxy";
  /** With `network: "proxy"`: the host socket, the bridge script and the runtime binary. */
  proxy?: { socket: string; bridgeScript: string; deno: string };
  env: Readonly<Record<string, string>>;
  limits: SandboxLimits;
  argv: readonly string[];
}

/** The environment every sandboxed command sees, before the declared variables. */
export function baseEnv(): Record<string, string> {
  return {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: INSIDE.home,
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TERM: "dumb",
    CI: "true",
    NO_COLOR: "1",
  };
}

/**
 * The prelude run inside before the command: make HOME, and with a proxy start
 * the TCP→unix bridge and wait until it listens.
 */
function prelude(network: Layout["network"], dotGit: Layout["dotGit"]): string {
  const steps: string[] = [];
  if (dotGit !== null) {
    // An empty repository the command's git may use; it knows nothing of the cache.
    const dir = dotGit === "file" ? INSIDE.gitDir : ".git";
    steps.push(
      `mkdir -p ${dir}/objects/info ${dir}/objects/pack ${dir}/refs/heads ${dir}/refs/tags && ` +
        `echo 'ref: refs/heads/main' > ${dir}/HEAD && ` +
        `printf '[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n[user]\\n\\tname = sandbox\\n\\temail = sandbox@localhost\\n' > ${dir}/config`,
    );
  }
  if (network === "proxy") {
    steps.push(
      `DENO_DIR=/tmp/.sandbox-deno DENO_NO_UPDATE_CHECK=1 ${INSIDE.deno} run -A --quiet ` +
        `--no-config --no-lock ${INSIDE.bridgeScript} </dev/null >/dev/null 2>&1 &`,
      "i=0; while [ ! -e /tmp/.sandbox-proxy-ready ] && [ $i -lt 1000 ]; do " +
        "sleep 0.01; i=$((i+1)); done",
      "[ -e /tmp/.sandbox-proxy-ready ] || { echo 'sandbox: the proxy bridge did not start' >&2; exit 125; }",
    );
  }
  // The cd happens here, as the sandbox user: a privileged bwrap without capabilities
  // may not enter a worktree handed to that user.
  return ['cd "$1" || exit 125', "shift", ...steps, 'exec "$@"'].join("\n");
}

/** `/a/b/c` → `/a`, `/a/b` (not the root, not the path itself). */
function ancestors(path: string): string[] {
  const parts = path.split("/").filter(Boolean);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

/** The full argv (starting with the bwrap binary's arguments, not the binary). */
export function bwrapArgs(layout: Layout): string[] {
  const args: string[] = [
    "--die-with-parent",
    "--new-session",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
  ];
  if (layout.network !== "open") args.push("--unshare-net");
  if (layout.dropTo) {
    // Privileged bwrap: setpriv needs these to drop to the sandbox uid; it loses them there.
    args.push(
      "--cap-drop",
      "ALL",
      "--cap-add",
      "CAP_SETUID",
      "--cap-add",
      "CAP_SETGID",
      "--cap-add",
      "CAP_SETPCAP",
    );
  } else {
    args.push("--unshare-user", "--disable-userns", "--cap-drop", "ALL");
  }
  for (const entry of layout.system) {
    if (entry.symlink !== null) args.push("--symlink", entry.symlink, entry.path);
    else args.push("--ro-bind", entry.path, entry.path);
  }
  args.push("--perms", "0755", "--dir", "/etc");
  for (const name of ETC_ENTRIES) args.push("--ro-bind-try", `/etc/${name}`, `/etc/${name}`);
  args.push(
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--perms",
    "1777",
    "--size",
    String(layout.limits.tmpBytes),
    "--tmpfs",
    "/tmp",
    "--perms",
    "0777",
    "--dir",
    INSIDE.home,
    "--perms",
    "1777",
    "--tmpfs",
    "/var/tmp",
  );
  // Parents bwrap would create for the mount are not traversable by the sandbox user.
  for (const dir of ancestors(layout.worktree)) {
    if (dir !== "/tmp" && dir !== "/var/tmp") args.push("--perms", "0755", "--dir", dir);
  }
  args.push("--bind", layout.worktree, layout.worktree);
  // The shared cache's config, hooks and objects stay out of reach: the
  // worktree's .git is replaced by a throwaway repository the prelude makes.
  if (layout.dotGit === "file") {
    args.push("--ro-bind", layout.gitFile, `${layout.worktree}/.git`);
  } else if (layout.dotGit === "directory") {
    args.push("--perms", "0777", "--tmpfs", `${layout.worktree}/.git`);
  }
  if (layout.network === "proxy" && layout.proxy) {
    args.push(
      "--perms",
      "0755",
      "--dir",
      "/.sandbox",
      "--bind",
      layout.proxy.socket,
      INSIDE.proxySocket,
      "--ro-bind",
      layout.proxy.bridgeScript,
      INSIDE.bridgeScript,
      "--ro-bind",
      layout.proxy.deno,
      INSIDE.deno,
    );
  }
  args.push("--chdir", "/", "--clearenv");
  for (const [name, value] of Object.entries(layout.env)) args.push("--setenv", name, value);
  args.push("--");
  if (layout.dropTo) {
    args.push(
      "setpriv",
      `--reuid=${layout.dropTo.uid}`,
      `--regid=${layout.dropTo.gid}`,
      "--clear-groups",
      "--bounding-set=-all",
      "--inh-caps=-all",
      "--no-new-privs",
      "--",
    );
  }
  args.push("prlimit", ...prlimitArgs(layout.limits));
  args.push(
    "sh",
    "-c",
    prelude(layout.network, layout.dotGit),
    "sandbox",
    layout.worktree,
    ...layout.argv,
  );
  return args;
}
