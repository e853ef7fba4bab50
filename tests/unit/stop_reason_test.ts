import assert from "node:assert/strict";
import { domainError } from "../../domain/run/errors.ts";
import {
  describeStop,
  stopCauseOf,
  stopCauseOfLeaseError,
} from "../../domain/workflow/stop_reason.ts";

Deno.test("stop reason: a refused heartbeat says cancelled or lease lost; SIGTERM says stopping", () => {
  assert.equal(
    stopCauseOfLeaseError(domainError("run_finished", "run r1 has already cancelled")),
    "cancelled",
  );
  assert.equal(
    stopCauseOfLeaseError(domainError("run_finished", "run r1 has already succeeded")),
    "lease_lost",
  );
  assert.equal(
    stopCauseOfLeaseError(domainError("lease_not_held", "lease L does not hold r1")),
    "lease_lost",
  );
  const stop = new AbortController();
  stop.abort("worker_stopping");
  assert.equal(stopCauseOf(stop.signal.reason), "worker_stopping");
  assert.equal(stopCauseOf(new DOMException("aborted")), "lease_lost");
  assert.match(describeStop("worker_stopping"), /worker is stopping/);
  assert.match(describeStop("cancelled"), /was cancelled/);
  assert.match(describeStop("lease_lost"), /lease was lost/);
});
