import assert from "node:assert/strict";
import type { JiraTransition, JiraTransitionField } from "../../domain/ports/jira.ts";
import { fillTransitionFields } from "../../domain/transitions.ts";

const RESOLUTION: JiraTransitionField = {
  id: "resolution",
  name: "Resolution",
  required: true,
  schemaType: "resolution",
  allowedValues: [
    { id: "1", name: "Won't Do" },
    { id: "2", name: "Fixed" },
    { id: "3", name: "Duplicate" },
  ],
};

const FIX_VERSION: JiraTransitionField = {
  id: "customfield_10050",
  name: "Release train",
  required: true,
  schemaType: "option",
  allowedValues: [{ id: "7", value: "Spring" }, { id: "8", value: "Autumn" }],
};

function closing(fields?: JiraTransitionField[]): JiraTransition {
  return { id: "41", name: "Close Issue", toStatus: "Done", toCategoryKey: "done", fields };
}

Deno.test("fillTransitionFields: no screen, nothing to send; unknown screen, the configuration as is", () => {
  assert.deepEqual(fillTransitionFields(closing([]), {}), { ok: true, fields: {} });
  assert.deepEqual(fillTransitionFields(closing(undefined), { resolution: { name: "Done" } }), {
    ok: true,
    fields: { resolution: { name: "Done" } },
  });
});

Deno.test("fillTransitionFields: a required Resolution alone defaults to Done, else Fixed, else the first", () => {
  assert.deepEqual(fillTransitionFields(closing([RESOLUTION]), {}), {
    ok: true,
    fields: { resolution: { id: "2" } },
  });
  const withDone = {
    ...RESOLUTION,
    allowedValues: [{ id: "9", name: "fixed" }, { id: "10", name: "Done" }],
  };
  assert.deepEqual(fillTransitionFields(closing([withDone]), {}), {
    ok: true,
    fields: { resolution: { id: "10" } },
  });
  const neither = { ...RESOLUTION, allowedValues: [{ id: "4", name: "Released" }] };
  assert.deepEqual(fillTransitionFields(closing([neither]), {}), {
    ok: true,
    fields: { resolution: { id: "4" } },
  });
});

Deno.test("fillTransitionFields: configured values win, by field id or name, strings made references", () => {
  const out = fillTransitionFields(closing([RESOLUTION, FIX_VERSION]), {
    resolution: "Duplicate",
    "release TRAIN": { value: "Autumn" },
    customfield_99999: "not on this screen",
  });
  assert.deepEqual(out, {
    ok: true,
    fields: { resolution: { name: "Duplicate" }, customfield_10050: { value: "Autumn" } },
  });
  const optional = { ...FIX_VERSION, required: false };
  assert.deepEqual(fillTransitionFields(closing([optional]), {}), { ok: true, fields: {} });
});

Deno.test("fillTransitionFields: a required field nobody configured fails, naming it and its allowed values", () => {
  const out = fillTransitionFields(
    closing([RESOLUTION, FIX_VERSION]),
    {},
    "JIRA_TRANSITION_DONE_FIELDS",
  );
  assert.equal(out.ok, false);
  if (out.ok) return;
  assert.match(out.message, /"Close Issue"/);
  assert.match(
    out.message,
    /Release train \(customfield_10050; allowed values: "Spring", "Autumn"\)/,
  );
  // Resolution is not defaulted when another field is missing too: both are named.
  assert.match(out.message, /Resolution \(resolution; allowed values: "Won't Do", "Fixed"/);
  assert.match(out.message, /JIRA_TRANSITION_DONE_FIELDS/);
});

Deno.test("fillTransitionFields: a configured value the screen does not allow fails", () => {
  const out = fillTransitionFields(closing([RESOLUTION]), { resolution: { name: "Shipped" } });
  assert.equal(out.ok, false);
  if (!out.ok) assert.match(out.message, /does not allow.*"Won't Do", "Fixed", "Duplicate"/);
});

Deno.test("fillTransitionFields: a required field without listed values needs configuring", () => {
  const text: JiraTransitionField = {
    id: "customfield_1",
    name: "Release note",
    required: true,
    schemaType: "string",
  };
  const missing = fillTransitionFields(closing([text]), {});
  assert.equal(missing.ok, false);
  if (!missing.ok) {
    assert.match(missing.message, /Release note \(customfield_1; any value of type string\)/);
  }
  assert.deepEqual(fillTransitionFields(closing([text]), { customfield_1: "Ships today" }), {
    ok: true,
    fields: { customfield_1: "Ships today" },
  });
});
