/**
 * The systemd units as written: `systemd-analyze verify` accepts them (where
 * it is installed; the test says loudly when it is not), they run the `deno`
 * the README's install puts on the PATH instead of a fixed path, and the
 * DENO_DIR they use is the one the README tells the operator to install into.
 *
 * @module
 */
import assert from "node:assert/strict";

const UNITS = new URL("../../deploy/systemd/", import.meta.url);
const README = new URL("../../README.md", import.meta.url);

async function units(): Promise<{ name: string; text: string }[]> {
  const out: { name: string; text: string }[] = [];
  for await (const e of Deno.readDir(UNITS)) {
    if (e.name.endsWith(".service")) {
      out.push({ name: e.name, text: await Deno.readTextFile(new URL(e.name, UNITS)) });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function which(command: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", { args: ["-c", `command -v ${command}`] }).output();
    return out.success;
  } catch {
    return false;
  }
}

Deno.test("systemd units: deno from the PATH, DENO_DIR as the README installs it", async () => {
  const readme = await Deno.readTextFile(README);
  const all = await units();
  assert.equal(all.length, 3);
  for (const { name, text } of all) {
    const exec = /^ExecStart=(.*)$/m.exec(text)?.[1] ?? "";
    assert.match(exec, /^\/usr\/bin\/env deno run -A main\.ts /, `${name}: ${exec}`);
    const dir = /^Environment=DENO_DIR=(.*)$/m.exec(text)?.[1];
    assert.ok(dir, `${name} sets no DENO_DIR`);
    assert.ok(readme.includes(`DENO_DIR=${dir}`), `README does not install into ${dir}`);
    assert.match(text, /^WorkingDirectory=\/opt\/ai-runner$/m);
    assert.ok(
      readme.includes("/etc/ai-runner/runner.config.json"),
      "README names the routing file",
    );
  }
});

Deno.test("systemd units: systemd-analyze verify passes", async () => {
  if (!(await which("systemd-analyze")) || !(await which("deno"))) {
    console.warn("SKIPPED: systemd-analyze (or deno on the PATH) is not installed here");
    return;
  }
  for (const { name } of await units()) {
    const out = await new Deno.Command("systemd-analyze", {
      args: ["verify", "--man=no", new URL(name, UNITS).pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    // Lines about other units on this machine are not ours.
    const ours = text.split("\n").filter((l) => l.includes("ai-runner"));
    assert.deepEqual(ours, [], `${name}:\n${text}`);
    assert.equal(out.code, 0, `${name}:\n${text}`);
  }
});
