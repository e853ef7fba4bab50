/**
 * `POST /jira/webhook` with Jira Data Center bodies: Automation for Jira DC's
 * "Send web request" (users by `name`/`key`), and the native
 * `jira:issue_updated` webhook, which asks for a run only when its changelog
 * shows the assignee changing to the AI user, and which may authenticate by
 * signing the body (`X-Hub-Signature`) instead of the secret header.
 *
 * @module
 */
import assert from "node:assert/strict";
import { githubSignature } from "../../adapters/http/crypto.ts";
import {
  assertRefused,
  JIRA_SECRET,
  jiraFixture,
  json,
  withIntake,
} from "../support/http_harness.ts";

/** Data Center configurations name the AI user by username. */
const DC = { options: { aiAccountId: "ai-runner" } };

Deno.test("jira dc: Automation's issue data (users by name) queues a run", async () => {
  await withIntake(async (intake) => {
    const res = await intake.jira(await jiraFixture("dc_automation_issue_data.json"));
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, "queued");
    const [e] = await intake.events();
    assert.equal(e.type, "RunRequested");
    assert.equal(e.stream, "issue-MWC-42");
  }, DC);
});

Deno.test("jira dc: a custom body's initiator named by username is the requester", async () => {
  await withIntake(async (intake) => {
    const res = await intake.jira({
      issueKey: "MWC-42",
      updated: "2025-12-05T10:00:00.123+0100",
      initiator: { name: "leigh", key: "JIRAUSER10101", displayName: "Leigh Reviewer" },
    });
    assert.equal(res.status, 200);
    const [e] = await intake.events();
    assert.equal(e.metadata.actor, "jira:leigh");
    assert.deepEqual((e.data as { requestedBy: unknown }).requestedBy, {
      accountId: "leigh",
      displayName: "Leigh Reviewer",
    });
  }, DC);
});

Deno.test("jira dc: an issue data body assigned to someone else is ignored", async () => {
  await withIntake(async (intake) => {
    const fixture = await jiraFixture("dc_automation_issue_data.json");
    (fixture.fields as Record<string, unknown>).assignee = {
      name: "leigh",
      key: "JIRAUSER10101",
      displayName: "Leigh Reviewer",
    };
    const res = await intake.jira(fixture);
    assert.equal(res.status, 202);
    assert.equal((await json(res)).status, "ignored");
    assert.equal((await intake.events()).length, 0);
  }, DC);
});

Deno.test("jira dc: a native assignment webhook queues a run requested by its user", async () => {
  await withIntake(async (intake) => {
    const res = await intake.jira(await jiraFixture("dc_webhook_issue_assigned.json"));
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, "queued");
    const [e] = await intake.events();
    assert.equal(e.type, "RunRequested");
    assert.equal(e.metadata.actor, "jira:leigh");
    assert.deepEqual((e.data as { requestedBy: unknown }).requestedBy, {
      accountId: "leigh",
      displayName: "Leigh Reviewer",
    });
  }, DC);
});

Deno.test("jira dc: the AI user may be configured by user key (the changelog's `to`)", async () => {
  await withIntake(async (intake) => {
    const fixture = await jiraFixture("dc_webhook_issue_assigned.json");
    delete ((fixture.issue as Record<string, unknown>).fields as Record<string, unknown>)
      .assignee;
    const res = await intake.jira(fixture);
    assert.equal(res.status, 200, JSON.stringify(await json(res)));
  }, { options: { aiAccountId: "JIRAUSER10100" } });
});

Deno.test("jira dc: a native webhook that changes no assignee is ignored, nothing appended", async () => {
  await withIntake(async (intake) => {
    const fixture = await jiraFixture("dc_webhook_issue_assigned.json");
    fixture.issue_event_type_name = "issue_generic";
    fixture.changelog = {
      id: "10932",
      items: [{
        field: "status",
        fieldtype: "jira",
        from: "10000",
        fromString: "To Do",
        to: "3",
        toString: "In Progress",
      }],
    };
    const res = await intake.jira(fixture);
    assert.equal(res.status, 202);
    const body = await json(res);
    assert.equal(body.status, "ignored");
    assert.match(String(body.reason), /did not change the assignee/);
    // A comment event has no changelog at all: also not an assignment.
    delete fixture.changelog;
    assert.equal((await intake.jira(fixture)).status, 202);
    assert.equal((await intake.events()).length, 0);
  }, DC);
});

Deno.test("jira dc: a native webhook assigning someone else, or nobody, is ignored", async () => {
  await withIntake(async (intake) => {
    const fixture = await jiraFixture("dc_webhook_issue_assigned.json");
    const issue = fixture.issue as { fields: Record<string, unknown> };
    issue.fields.assignee = { name: "leigh", key: "JIRAUSER10101", displayName: "Leigh" };
    fixture.changelog = {
      id: "1",
      items: [{
        field: "assignee",
        fieldtype: "jira",
        from: "JIRAUSER10100",
        fromString: "AI Runner",
        to: "JIRAUSER10101",
        toString: "Leigh",
      }],
    };
    const res = await intake.jira(fixture);
    assert.equal(res.status, 202);
    assert.match(String((await json(res)).reason), /assigned to someone else/);
    issue.fields.assignee = null;
    fixture.changelog = {
      id: "2",
      items: [{ field: "assignee", fieldtype: "jira", from: "JIRAUSER10101", to: null }],
    };
    const unassigned = await intake.jira(fixture);
    assert.equal(unassigned.status, 202);
    assert.match(String((await json(unassigned)).reason), /unassigned/);
    assert.equal((await intake.events()).length, 0);
  }, DC);
});

Deno.test("jira dc: other native events are ignored; malformed changelogs are 400", async () => {
  await withIntake(async (intake) => {
    const fixture = await jiraFixture("dc_webhook_issue_assigned.json");
    const created = { ...fixture, webhookEvent: "jira:issue_created" };
    assert.equal((await intake.jira(created)).status, 202);
    await assertRefused(
      await intake.jira({ ...fixture, changelog: { items: "assignee" } }),
      400,
      "invalid_field",
    );
    await assertRefused(await intake.jira({ ...fixture, changelog: [] }), 400, "invalid_field");
    await assertRefused(
      await intake.jira({ ...fixture, issue: { key: "not a key" } }),
      400,
      "invalid_issue_key",
    );
    assert.equal((await intake.events()).length, 0);
  }, DC);
});

Deno.test("jira dc: a native webhook signed with X-Hub-Signature needs no secret header", async () => {
  await withIntake(async (intake) => {
    const raw = JSON.stringify(await jiraFixture("dc_webhook_issue_assigned.json"));
    const res = await intake.app.request("/jira/webhook", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Hub-Signature": githubSignature(JIRA_SECRET, raw),
      },
      body: raw,
    });
    assert.equal(res.status, 200, JSON.stringify(await json(res)));
    assert.equal((await intake.events()).length, 1);
  }, DC);
});

Deno.test("jira dc (attacker): a forged, replayed-onto-another-body or malformed signature is refused", async () => {
  await withIntake(async (intake) => {
    const fixture = await jiraFixture("dc_webhook_issue_assigned.json");
    const raw = JSON.stringify(fixture);
    const other = JSON.stringify({
      ...fixture,
      issue: { ...fixture.issue as object, key: "OPS-1" },
    });
    const send = (body: string, signature: string, extra: Record<string, string> = {}) =>
      intake.app.request("/jira/webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Hub-Signature": signature, ...extra },
        body,
      });
    // Signed with a guessed secret.
    await assertRefused(await send(raw, githubSignature("guessed-secret", raw)), 401);
    // A genuine signature of one body, sent with another body.
    await assertRefused(await send(other, githubSignature(JIRA_SECRET, raw)), 401);
    // Not the sha256=<hex> form (e.g. sha1, or the bare secret).
    await assertRefused(await send(raw, `sha1=${"0".repeat(40)}`), 401);
    await assertRefused(await send(raw, JIRA_SECRET), 401);
    // A wrong secret header is not rescued by a valid signature.
    await assertRefused(
      await send(raw, githubSignature(JIRA_SECRET, raw), { "X-Jira-Webhook-Secret": "wrong" }),
      401,
    );
    assert.equal((await intake.events()).length, 0, "nothing appended");
  }, DC);
});

Deno.test("jira dc (attacker): without a configured secret a signature opens nothing", async () => {
  await withIntake(async (intake) => {
    const raw = JSON.stringify(await jiraFixture("dc_webhook_issue_assigned.json"));
    const res = await intake.app.request("/jira/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hub-Signature": githubSignature("", raw) },
      body: raw,
    });
    await assertRefused(res, 401);
    assert.equal((await intake.events()).length, 0);
  }, { options: { aiAccountId: "ai-runner", jiraWebhookSecret: "" } });
});
