/**
 * Watches each test file's worker event loop and warns (never fails: the machines are
 * shared, so durations are not asserted) when it was blocked for a long stretch. A
 * worker whose loop is blocked for longer than Vitest's worker RPC timeout (60 s)
 * trips "[vitest-worker]: Timeout calling "onTaskUpdate"" and fails the run with every
 * test green (issue 21): child processes go through test/helpers/process.ts and long
 * loops yield to the event loop, so this warning should never show.
 */
import { afterAll, beforeAll, expect } from 'vitest';

const WARN_AFTER_MS = 15_000;
const TICK_MS = 100;
let lastTickMs = 0;
let longestStallMs = 0;
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  const nowMs = performance.now();
  longestStallMs = Math.max(longestStallMs, nowMs - lastTickMs - TICK_MS);
  lastTickMs = nowMs;
}

beforeAll(() => {
  lastTickMs = performance.now();
  longestStallMs = 0;
  ticker = setInterval(tick, TICK_MS).unref();
});

afterAll(() => {
  tick(); // a stall that ended just now has not been ticked yet
  clearInterval(ticker);
  if (longestStallMs > WARN_AFTER_MS) {
    console.warn(
      `[event-loop-watch] ${expect.getState().testPath ?? 'a test file'} blocked its worker's event loop for ${(longestStallMs / 1000).toFixed(1)} s (Vitest's worker RPC times out at 60 s): use async child processes and yield in long loops`,
    );
  }
});
