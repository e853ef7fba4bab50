/**
 * The doctor's proof that the sandbox confines: a probe plays the attacker
 * three ways (read a file outside the worktree, reach a server on the host's
 * loopback, outlive its timeout with a `setsid` grandchild) and each attempt
 * must fail.
 *
 * @module
 */
import { join } from "node:path";
import type { Sandbox } from "../../domain/ports/sandbox.ts";

/** One attempt and whether the sandbox stopped it. */
export interface ProbeFinding {
  attack: "read_outside" | "reach_loopback" | "outlive_timeout";
  /** True when the attack failed (the sandbox confined it). */
  confined: boolean;
  /** What happened, for the doctor's line. */
  detail: string;
}

/**
 * Runs the three attacks in `sandbox`; rejects with SandboxUnavailable when it
 * cannot start. `mark` names the probe's sleeping processes (`sleep <mark>`).
 */
export async function probeSandbox(
  sandbox: Sandbox,
  mark = 3_000_000 + Math.floor(Math.random() * 1_000_000),
): Promise<ProbeFinding[]> {
  const base = await Deno.makeTempDir({ prefix: "ai-runner-probe-" });
  const worktree = join(base, "worktree");
  await Deno.mkdir(worktree);
  const token = crypto.randomUUID();
  const secret = join(base, "secret.txt");
  await Deno.writeTextFile(secret, `probe-secret-${token}\n`);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let reached = false;
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        reached = true;
        conn.close();
      }
    } catch { /* closed */ }
  })();
  const findings: ProbeFinding[] = [];
  try {
    const read = await sandbox.run({
      argv: ["sh", "-c", `cat ${secret} 2>&1; cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n'`],
      cwd: worktree,
      timeoutMs: 30_000,
    });
    const leaked = read.output.includes(token);
    findings.push({
      attack: "read_outside",
      confined: !leaked,
      detail: leaked ? `read ${secret} from inside` : "a file outside the worktree is not there",
    });

    const port = (listener.addr as Deno.NetAddr).port;
    const net = await sandbox.run({
      argv: ["sh", "-c", loopbackAttempt(port)],
      cwd: worktree,
      timeoutMs: 30_000,
    });
    const tried = /tried:(\S+)/.exec(net.output)?.[1] ?? "none";
    findings.push({
      attack: "reach_loopback",
      confined: !reached && tried !== "none",
      detail: reached
        ? `connected to 127.0.0.1:${port} on the host (with ${tried})`
        : tried === "none"
        ? "inconclusive: no network client (curl, wget, bash, perl, python3) in the sandbox"
        : `127.0.0.1:${port} on the host is out of reach (tried ${tried})`,
    });

    const started = performance.now();
    const outlive = await sandbox.run({
      argv: ["sh", "-c", `setsid sleep ${mark} & (sleep ${mark} &); sleep ${mark}`],
      cwd: worktree,
      timeoutMs: 1000,
    });
    const took = Math.round(performance.now() - started);
    const left = await processesRunning(`sleep ${mark}`);
    findings.push({
      attack: "outlive_timeout",
      confined: outlive.timedOut && left === 0 && took < 1000 + 2000,
      detail: left > 0
        ? `${left} process(es) still running after the 1 s timeout`
        : `a 1 s timeout ended the whole tree (setsid included) in ${took} ms`,
    });
  } finally {
    listener.close();
    await accepting;
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
  return findings;
}

/** A shell line that tries every common client on the host's loopback port. */
function loopbackAttempt(port: number): string {
  const url = `http://127.0.0.1:${port}/`;
  return [
    "t=",
    `if command -v curl >/dev/null; then t=$t,curl; curl -s -m 3 ${url} >/dev/null 2>&1; fi`,
    `if command -v wget >/dev/null; then t=$t,wget; wget -q -t 1 -T 3 -O /dev/null ${url} 2>/dev/null; fi`,
    `if command -v bash >/dev/null; then t=$t,bash; timeout 3 bash -c 'echo > /dev/tcp/127.0.0.1/${port}' 2>/dev/null; fi`,
    `if command -v python3 >/dev/null; then t=$t,python3; timeout 3 python3 -c 'import socket; socket.create_connection(("127.0.0.1", ${port}), 3)' 2>/dev/null; fi`,
    'echo "tried:${t#,}"',
  ].join("\n");
}

/** Processes on the host whose command line contains `needle`. */
export async function processesRunning(needle: string): Promise<number> {
  return (await processIds(needle)).length;
}

/** Ids of the live processes whose command line contains `needle`. */
export async function processIds(needle: string): Promise<number[]> {
  const ids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll(
        "\0",
        " ",
      );
      if (!cmdline.includes(needle)) continue;
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z") ids.push(Number(entry.name));
    } catch { /* gone meanwhile */ }
  }
  return ids;
}
