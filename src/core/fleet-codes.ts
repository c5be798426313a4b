/**
 * Stable error codes of fleet rollouts. They live in src/core because the pure planner (batches,
 * thresholds, --limit) raises them as well as the fleet file reader and the runner.
 */
export const FLEET = {
  /** The fleet file is not valid YAML or not a valid fleet file; the message names file:line:col and the key. */
  INVALID: "ZWH-FLEET-INVALID",
  /** A --limit pattern (or the whole --limit) selects no host. */
  LIMIT_NOMATCH: "ZWH-FLEET-LIMIT-NOMATCH",
  /** A host of the canary batch failed or was unreachable: nothing else was touched. */
  CANARY_FAILED: "ZWH-FLEET-CANARY-FAILED",
  /** A batch's failed + unreachable hosts exceeded maxFailPercentage of the batch as planned. */
  BATCH_THRESHOLD: "ZWH-FLEET-BATCH-THRESHOLD",
  /** Failed + unreachable hosts so far exceeded maxFailTotal. */
  TOTAL_THRESHOLD: "ZWH-FLEET-TOTAL-THRESHOLD",
  /** Every host of a batch failed (and continueOnBatchFailure is false). */
  BATCH_ALL_FAILED: "ZWH-FLEET-BATCH-ALL-FAILED",
  /** A host reported no progress for progressDeadlineSeconds; it is failed, not waited on (the runner). */
  STALLED: "ZWH-FLEET-STALLED",
} as const;
