/**
 * Every read model of AI Runner, in one list for the projector and `rebuild`.
 *
 * @module
 */
import { accountabilityProjection } from "./accountability.ts";
import { issuesProjection } from "./issues.ts";
import type { AnyProjection } from "./projection.ts";
import { queueProjection } from "./queue.ts";
import { runsProjection } from "./runs.ts";
import { spendProjection } from "./spend.ts";

export type { AccountabilityDoc } from "./accountability.ts";
export type { IssueDoc } from "./issues.ts";
export type { QueueDoc } from "./queue.ts";
export type { RunDoc } from "./runs.ts";
export { repoSpendOnDay, type SpendDoc } from "./spend.ts";
export {
  accountabilityProjection,
  issuesProjection,
  queueProjection,
  runsProjection,
  spendProjection,
};

/** All projections, in the order they are folded. */
export const ALL_PROJECTIONS: readonly AnyProjection[] = [
  runsProjection,
  issuesProjection,
  queueProjection,
  accountabilityProjection,
  spendProjection,
];
