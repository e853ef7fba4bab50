/**
 * The pure parts of the sandbox: the bubblewrap command line (what is mounted,
 * which namespaces, the privilege drop and limits), the allow-list rule, the
 * bounded output, and the routing schema's new fields.
 */
import assert from "node:assert/strict";
import { hostAllowed } from "../../adapters/sandbox/allow_hosts.ts";
import { baseEnv, bwrapArgs, type Layout } from "../../adapters/sandbox/layout.ts";
import { DEFAULT_SANDBOX_LIMITS, resolveLimits } from "../../adapters/sandbox/limits.ts";
import { BoundedOutput } from "../../adapters/sandbox/output.ts";
import { RepoRoute } from "../../domain/routing.ts";

function layout(overrides: Partial<Layout> = {}): Layout {
  return {
    worktree: "/var/lib/ai-runner/worktrees/docs/run-1",
    dotGit: "file",
    gitFile: "/tmp/assets/gitfile",
    system: [{ path: "/usr", symlink: null }, { path: "/bin", symlink: "usr/bin" }],
    dropTo: null,
    network: "none",
    env: baseEnv(),
    limits: DEFAULT_SANDBOX_LIMITS,
    argv: ["sh", "-c", "npm test"],
    ...overrides,
  };
}

/** The `--flag a b` triples of an argv. */
function mounts(args: string[], flag: string): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => a === flag && out.push([args[i + 1], args[i + 2]]));
  return out;
}

Deno.test("layout: the worktree read-write, system read-only, nothing of DATA_DIR or HOME", () => {
  const args = bwrapArgs(layout());
  const wt = "/var/lib/ai-runner/worktrees/docs/run-1";
  assert.deepEqual(mounts(args, "--bind"), [[wt, wt]]);
  assert.deepEqual(mounts(args, "--ro-bind")[0], ["/usr", "/usr"]);
  // The worktree's .git (pointing into the shared cache) is covered by a throwaway.
  assert.deepEqual(mounts(args, "--ro-bind").at(-1), ["/tmp/assets/gitfile", `${wt}/.git`]);
  const sources = [
    ...mounts(args, "--bind"),
    ...mounts(args, "--ro-bind"),
    ...mounts(args, "--ro-bind-try"),
  ]
    .map(([from]) => from);
  for (const from of sources) {
    assert.ok(
      from === wt || from.startsWith("/usr") || from.startsWith("/etc/") ||
        from.startsWith("/tmp/assets"),
      `unexpected mount ${from}`,
    );
    assert.notEqual(from, "/etc/shadow");
    assert.ok(!from.startsWith("/root") && !from.startsWith("/home") && !from.startsWith("/proc/"));
  }
  assert.ok(args.includes("--clearenv"));
  assert.ok(args.includes("--die-with-parent") && args.includes("--new-session"));
  assert.ok(args.includes("--unshare-pid") && args.includes("--unshare-net"));
});

Deno.test("layout: root drops to the sandbox uid with setpriv; otherwise a user namespace", () => {
  const root = bwrapArgs(layout({ dropTo: { uid: 65534, gid: 65534 } }));
  const at = root.indexOf("setpriv");
  assert.ok(at > root.indexOf("--"));
  assert.ok(root.slice(at).includes("--reuid=65534"));
  assert.ok(root.slice(at).includes("--no-new-privs"));
  assert.ok(root.slice(at).includes("--bounding-set=-all"));
  assert.ok(!root.includes("--unshare-user"));
  const user = bwrapArgs(layout());
  assert.ok(user.includes("--unshare-user") && user.includes("--disable-userns"));
  assert.ok(!user.includes("setpriv"));
  assert.deepEqual(user.slice(user.indexOf("--cap-drop"), user.indexOf("--cap-drop") + 2), [
    "--cap-drop",
    "ALL",
  ]);
});

Deno.test("layout: limits go to prlimit, the network follows the mode", () => {
  const args = bwrapArgs(layout({ limits: resolveLimits({ processes: 64, fileSizeBytes: 1024 }) }));
  const pr = args.slice(args.indexOf("prlimit"));
  assert.ok(pr.includes("--nproc=64") && pr.includes("--fsize=1024") && pr.includes("--core=0"));
  assert.ok(pr.some((a) => a.startsWith("--data=")) && pr.some((a) => a.startsWith("--cpu=")));
  assert.ok(!bwrapArgs(layout({ network: "open" })).includes("--unshare-net"));
  const proxied = bwrapArgs(layout({
    network: "proxy",
    proxy: {
      socket: "/tmp/assets/p.sock",
      bridgeScript: "/tmp/assets/b.js",
      deno: "/usr/bin/deno",
    },
  }));
  assert.ok(proxied.includes("--unshare-net"));
  assert.deepEqual(mounts(proxied, "--bind").at(-1), [
    "/tmp/assets/p.sock",
    "/.sandbox/proxy.sock",
  ]);
  assert.throws(() => resolveLimits({ processes: 0 }), RangeError);
});

Deno.test("layout: the environment is PATH, HOME, locale and the declared variables only", () => {
  const args = bwrapArgs(layout({ env: { ...baseEnv(), NODE_ENV: "test" } }));
  const names = mounts(args, "--setenv").map(([name]) => name).sort();
  assert.deepEqual(names, [
    "CI",
    "HOME",
    "LANG",
    "LC_ALL",
    "NODE_ENV",
    "NO_COLOR",
    "PATH",
    "TERM",
    "TMPDIR",
  ]);
});

Deno.test("allowHosts: host (80/443), host:port, *.domain; nothing else", () => {
  const hosts = ["registry.npmjs.org", "127.0.0.1:4873", "*.pythonhosted.org", "[::1]:8080"];
  assert.equal(hostAllowed(hosts, "registry.npmjs.org", 443), true);
  assert.equal(hostAllowed(hosts, "REGISTRY.npmjs.org.", 80), true);
  assert.equal(hostAllowed(hosts, "registry.npmjs.org", 22), false);
  assert.equal(hostAllowed(hosts, "registry.npmjs.org.evil.com", 443), false);
  assert.equal(hostAllowed(hosts, "127.0.0.1", 4873), true);
  assert.equal(hostAllowed(hosts, "127.0.0.1", 4874), false);
  assert.equal(hostAllowed(hosts, "files.pythonhosted.org", 443), true);
  assert.equal(hostAllowed(hosts, "pythonhosted.org", 443), false);
  assert.equal(hostAllowed(hosts, "::1", 8080), true);
  assert.equal(hostAllowed([], "registry.npmjs.org", 443), false);
});

Deno.test("output: head and tail kept, the middle cut and marked", () => {
  const out = new BoundedOutput(100);
  const enc = new TextEncoder();
  out.push(enc.encode("H".repeat(30)));
  for (let i = 0; i < 100; i++) out.push(enc.encode("m".repeat(50)));
  out.push(enc.encode("T".repeat(80)));
  const text = out.text();
  assert.ok(out.truncated);
  assert.ok(text.startsWith("H".repeat(25)));
  assert.ok(text.endsWith("T".repeat(75)));
  assert.match(text, /bytes cut/);
  const small = new BoundedOutput(100);
  small.push(enc.encode("short"));
  assert.equal(small.text(), "short");
  assert.equal(small.truncated, false);
});

Deno.test("routing: setup, allowHosts and env parse; secrets-shaped names are refused", () => {
  const route = RepoRoute.parse({
    id: "docs",
    github: "acme/docs",
    setup: ["npm ci"],
    allowHosts: ["registry.npmjs.org", "*.example.com:8443"],
    env: { NODE_ENV: "test" },
  });
  assert.deepEqual(route.setup, ["npm ci"]);
  assert.equal(route.setupTimeoutSeconds, 900);
  assert.deepEqual(RepoRoute.parse({ id: "x", github: "a/b" }).env, {});
  assert.equal(RepoRoute.parse({ id: "x", github: "a/b" }).allowHosts, undefined);
  for (
    const env of [{ PATH: "/evil" }, { LD_PRELOAD: "x.so" }, { HTTPS_PROXY: "x" }, { "A-B": "x" }]
  ) {
    assert.equal(
      RepoRoute.safeParse({ id: "x", github: "a/b", env }).success,
      false,
      JSON.stringify(env),
    );
  }
  for (const host of ["http://x.com", "x.com/path", "a b", ""]) {
    assert.equal(
      RepoRoute.safeParse({ id: "x", github: "a/b", allowHosts: [host] }).success,
      false,
      host,
    );
  }
});
