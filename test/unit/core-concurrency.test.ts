import { describe, expect, it } from "vitest";
import { Semaphore, pool } from "../../src/core/concurrency";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("pool and Semaphore", () => {
  it("pool runs at most n at once and returns results in item order", async () => {
    let active = 0;
    let peak = 0;
    const out = await pool([5, 1, 4, 2, 3], 2, async (x) => {
      peak = Math.max(peak, ++active);
      for (let i = 0; i < x; i++) await tick();
      active--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
    expect(await pool([], 4, async () => 1)).toEqual([]);
  });

  it("Semaphore admits at most max callers and releases on failure", async () => {
    const s = new Semaphore(1);
    let active = 0;
    let peak = 0;
    const job = async (fail: boolean) => {
      peak = Math.max(peak, ++active);
      await tick();
      active--;
      if (fail) throw new Error("x");
      return 1;
    };
    const r = await Promise.allSettled([s.run(() => job(true)), s.run(() => job(false)), s.run(() => job(false))]);
    expect(r.map((x) => x.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(peak).toBe(1);
  });
});
