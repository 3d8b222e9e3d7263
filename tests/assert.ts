/**
 * The tests' assertions: Node's strict assert (JSR's @std/assert is out of reach), imported
 * here once, plus the numeric comparisons the tests share.
 *
 * @module
 */

import assert from "node:assert/strict";

export default assert;

/** Asserts |actual − expected| ≤ relative · max(|expected|, floor). */
export function assertClose(
  actual: number,
  expected: number,
  relative: number,
  message = "",
  floor = 0,
): void {
  const bound = relative * Math.max(Math.abs(expected), floor);
  assert.ok(
    Math.abs(actual - expected) <= bound,
    `${message} expected ${expected}, got ${actual} (difference ${
      Math.abs(actual - expected)
    } > ${bound})`,
  );
}
