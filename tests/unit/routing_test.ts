import assert from "node:assert/strict";
import { parseRouting, RoutingFileError } from "../../adapters/config/routing_file.ts";
import { routeIssue, RoutingConfig, routingFieldIds } from "../../domain/routing.ts";

const config = parseRouting(
  "runner.config.json",
  JSON.stringify({
    repos: [
      {
        id: "api",
        github: "acme/api",
        baseBranch: "main",
        validate: ["deno test"],
        match: { labels: ["backend"] },
      },
      { id: "ui", github: "acme/ui", baseBranch: "develop", match: { components: ["Web UI"] } },
      {
        id: "ops",
        github: "acme/ops",
        match: { field: { id: "customfield_10100", equals: "Ops" } },
      },
      { id: "online-docs", github: "acme/online-docs" },
    ],
  }),
);
const issue = (labels: string[] = [], components: string[] = [], customFields = {}) => ({
  labels,
  components,
  customFields,
});

Deno.test("routing: the first matching repo wins, the repo without match is the default", () => {
  assert.equal(routeIssue(config, issue(["Backend"], ["Web UI"]))?.id, "api");
  assert.equal(routeIssue(config, issue([], ["web ui"]))?.id, "ui");
  assert.equal(
    routeIssue(config, issue([], [], { customfield_10100: { value: "Ops" } }))?.id,
    "ops",
  );
  assert.equal(routeIssue(config, issue(["docs"]))?.id, "online-docs");
});

Deno.test("routing: defaults are filled and custom field ids are listed", () => {
  assert.equal(config.repos[3].baseBranch, "main");
  assert.deepEqual(config.repos[3].validate, []);
  assert.deepEqual(routingFieldIds(config), ["customfield_10100"]);
});

Deno.test("routing: without a default an unmatched issue routes nowhere", () => {
  const only = parseRouting(
    "x.json",
    JSON.stringify({ repos: [{ id: "api", github: "acme/api", match: { labels: ["x"] } }] }),
  );
  assert.equal(routeIssue(only, issue(["y"])), null);
});

Deno.test("routing: a bad file names every problem", () => {
  assert.throws(
    () => parseRouting("r.json", "{"),
    (e) => e instanceof RoutingFileError && /not valid JSON/.test(e.message),
  );
  assert.throws(
    () =>
      parseRouting(
        "r.json",
        JSON.stringify({
          repos: [{ id: "a", github: "no-slash" }, { id: "a", github: "o/n", colour: 1 }],
        }),
      ),
    (e) =>
      e instanceof RoutingFileError && /repos\.0\.github/.test(e.message) &&
      /colour/.test(e.message),
  );
  assert.throws(() => parseRouting("r.json", JSON.stringify({ repos: [] })), /at least one repo/);
});

Deno.test("routing: awaitChecks takes a time limit and repair rounds, with defaults", () => {
  const parsed = RoutingConfig.parse({
    repos: [
      { id: "a", github: "acme/a", awaitChecks: {} },
      { id: "b", github: "acme/b", awaitChecks: { timeoutMinutes: 5, repairRounds: 0 } },
      { id: "c", github: "acme/c" },
    ],
  });
  assert.deepEqual(parsed.repos[0].awaitChecks, { timeoutMinutes: 30, repairRounds: 1 });
  assert.deepEqual(parsed.repos[1].awaitChecks, { timeoutMinutes: 5, repairRounds: 0 });
  assert.equal(parsed.repos[2].awaitChecks, undefined);
  for (const bad of [{ timeoutMinutes: 0 }, { timeoutMinutes: 1000 }, { wait: true }]) {
    assert.throws(() =>
      RoutingConfig.parse({ repos: [{ id: "a", github: "acme/a", awaitChecks: bad }] })
    );
  }
});
