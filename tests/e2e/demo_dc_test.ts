/** `deno task demo --jira datacenter`: the whole loop on the Jira Data Center stand-in. */
import assert from "node:assert/strict";
import { runDemo } from "../../adapters/cli/demo.ts";

Deno.test("demo --jira datacenter: the loop completes on the Data Center stand-in", async () => {
  const lines: string[] = [];
  const code = await runDemo({
    wait: false,
    color: false,
    jira: "datacenter",
    print: (line) => lines.push(line),
  });
  const out = lines.join("\n");
  assert.equal(code, 0, out);
  assert.match(out, /Jira DC webhook: POST .*\/jira\/webhook \(X-Hub-Signature: sha256=…\)/);
  assert.match(out, /requested by Leigh Reviewer \(jira:leigh, jira\)/);
  assert.match(out, /Jira status: .*In Testing.*, assignee: Leigh Reviewer/);
  assert.match(out, /Jira issue moved to Done/);
  assert.match(out, /Stand-ins: {3}Jira Data Center http:\/\/127\.0\.0\.1:\d+/);
});
