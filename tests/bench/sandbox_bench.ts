/**
 * Sandbox overhead: the time a command run in the bubblewrap sandbox takes
 * over the same command run as plain `sh -c`, in the same run, interleaved
 * (target: under 50 ms per command). Also a worktree of many files (when the
 * runner is root the worktree is handed to the sandbox user before each
 * command) and a setup command behind the allow-list proxy.
 *
 * @module
 */
import { join } from "node:path";
import { BwrapSandbox } from "../../adapters/sandbox/bwrap.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function plain(cwd: string, line: string): Promise<number> {
  const t = performance.now();
  await new Deno.Command("sh", { args: ["-c", line], cwd, stdout: "piped", stderr: "piped" })
    .output();
  return performance.now() - t;
}

/** Runs the sandbox benchmark. */
export async function benchSandbox(
  report: (line: string) => void,
  rounds = Number(Deno.env.get("BENCH_SANDBOX_ROUNDS") ?? 20),
  files = Number(Deno.env.get("BENCH_SANDBOX_FILES") ?? 5_000),
): Promise<void> {
  const sandbox = new BwrapSandbox();
  try {
    await sandbox.check();
  } catch (error) {
    report(`sandbox: skipped, bubblewrap cannot start here: ${(error as Error).message}`);
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "bench-sandbox-" });
  try {
    const small = join(dir, "small");
    await Deno.mkdir(small);
    await Deno.writeTextFile(join(small, "README.md"), "# bench\n");
    const large = join(dir, "large");
    for (let i = 0; i < files; i++) {
      const sub = join(large, `d${i % 50}`);
      if (i < 50) await Deno.mkdir(sub, { recursive: true });
      await Deno.writeTextFile(join(sub, `f${i}.md`), `file ${i}\n`);
    }
    const line = "echo ok";
    const base: number[] = [];
    const boxed: number[] = [];
    const boxedLarge: number[] = [];
    for (let i = 0; i < rounds; i++) {
      base.push(await plain(small, line));
      const t = performance.now();
      await sandbox.run({ argv: ["sh", "-c", line], cwd: small, timeoutMs: 60_000 });
      boxed.push(performance.now() - t);
      // The runner's own tools write as the runner: the next command hands the file over again.
      await Deno.writeTextFile(join(large, "d0", "f0.md"), `round ${i}\n`);
      const u = performance.now();
      await sandbox.run({ argv: ["sh", "-c", line], cwd: large, timeoutMs: 60_000 });
      boxedLarge.push(performance.now() - u);
    }
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("ok"),
    );
    const proxied: number[] = [];
    try {
      for (let i = 0; i < Math.min(rounds, 5); i++) {
        const t = performance.now();
        await sandbox.run({
          argv: ["sh", "-c", `curl -s http://127.0.0.1:${server.addr.port}/ || true`],
          cwd: small,
          timeoutMs: 60_000,
          network: { mode: "allowHosts", hosts: [`127.0.0.1:${server.addr.port}`] },
        });
        proxied.push(performance.now() - t);
      }
    } finally {
      await server.shutdown();
    }
    const b = median(base);
    const s = median(boxed);
    const overhead = s - b;
    report(`sandbox baseline (plain sh -c): median ${b.toFixed(1)} ms per command`);
    report(
      `sandbox bwrap: median ${s.toFixed(1)} ms per command — adds ${overhead.toFixed(1)} ms ` +
        `(target < 50 ms: ${overhead < 50 ? "met" : "NOT met"})` +
        (Deno.uid() === 0 ? " [runner is root: setpriv drop + worktree hand-over included]" : ""),
    );
    report(
      `sandbox bwrap, worktree of ${files} files: median ${median(boxedLarge).toFixed(1)} ms ` +
        "per command",
    );
    report(
      `sandbox setup behind the allow-list proxy (bridge start + one request): median ${
        median(proxied).toFixed(1)
      } ms`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await benchSandbox((line) => console.log(line));
}
