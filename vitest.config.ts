import { defineConfig } from "vitest/config";

// Integration tests start real sshd processes and real pip runs; keep the pool small on a
// 2-core machine and give remote tests room (no timing thresholds are asserted anywhere).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
