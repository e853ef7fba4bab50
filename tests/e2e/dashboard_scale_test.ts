/**
 * The runs list on a store larger than its bounds: the total is counted up to
 * COUNT_CAP ("200+"), the pager still reaches every page, and a text search
 * says which runs it looked through.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { COUNT_CAP, TEXT_SEARCH_WINDOW } from "../../adapters/http/dashboard/queries.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { buildStore } from "../bench/dashboard_bench.ts";

const TOKEN = "scale-test-token-0123456789abcdef";

Deno.test("runs list beyond its bounds: 200+, every page reachable, search window named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dashboard-scale-" });
  const { store } = await buildStore(join(dir, "runner.db"), 2_500);
  try {
    const app = createApp({
      store,
      logger: new JsonLogger({ level: "error", sink: () => {} }),
      metrics: createMetrics(),
      options: {
        jiraWebhookSecret: "j",
        githubWebhookSecret: "g",
        aiAccountId: "ai",
        dashboardToken: TOKEN,
      },
    });
    const page = async (query: string) => {
      const res = await app.request(`/runs${query}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(res.status, 200);
      return await res.text();
    };
    const first = await page("");
    assert.ok(COUNT_CAP === 200);
    assert.match(first, /2,500|200\+ run\(s\)/);
    assert.match(first, /Showing 1–25 of 200\+ · page 1 of 8\+/);
    assert.match(first, /rel="next"/);
    // Page 100 is the last (2,500 / 25): reachable although the count stopped at 200.
    const last = await page("?page=100");
    assert.match(last, /Showing 2476–2500 of 200\+ · page 100 of 100\+/);
    assert.doesNotMatch(last, /rel="next"/, "nothing older than the last page");
    const search = await page("?q=install%20guide");
    assert.match(
      search,
      new RegExp(`looked through the newest ${TEXT_SEARCH_WINDOW.toLocaleString("en")} runs`),
    );
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
