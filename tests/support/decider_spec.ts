/**
 * Given events / when command / then events (or error) for the Run decider,
 * in the style of Emmett's DeciderSpecification.
 *
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import assert from "node:assert/strict";
import type { DomainEvent } from "../../domain/events.ts";
import type { RunCommand } from "../../domain/run/commands.ts";
import { decide } from "../../domain/run/decide.ts";
import { type DomainErrorCode, isDomainError } from "../../domain/run/errors.ts";
import { evolve, initialState } from "../../domain/run/state.ts";

/** A decider scenario. */
export function given(...events: DomainEvent[]) {
  const state = events.reduce(evolve, initialState());
  return {
    when(command: RunCommand) {
      const decision = decide(command, state);
      return {
        then(...expected: DomainEvent[]) {
          if (isDomainError(decision)) {
            assert.fail(`expected events, got error ${decision.code}: ${decision.message}`);
          }
          assertEquals(decision, expected);
        },
        thenNothing() {
          if (isDomainError(decision)) {
            assert.fail(`expected no events, got error ${decision.code}: ${decision.message}`);
          }
          assertEquals(decision, []);
        },
        thenError(code: DomainErrorCode) {
          assert.ok(isDomainError(decision), `expected ${code}, got ${JSON.stringify(decision)}`);
          assertEquals(decision.code, code);
        },
      };
    },
  };
}
