/** Batch arithmetic and stop rules of a fleet rollout, as tables (each row is a regression test). */
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import {
  DEFAULT_SERIAL, evaluateBatch, orderHosts, parseMaxFailTotal, parseSerial, planBatches, serialStepOf, skippedAfterStop, stepSize, type StopPolicy,
} from "../../src/core/fleet-batches";
import type { Batch, FleetHostStatus, HostRecap, SerialStep } from "../../src/core/fleet-types";

const hosts = (n: number, prefix = "h") => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe("parseSerial / serialStepOf", () => {
  const good: Array<[string, SerialStep[]]> = [
    ["1,50%,100%", [1, "50%", "100%"]],
    ["1, 25% ,100%", [1, "25%", "100%"]],
    ["5", [5]],
    ["30%", ["30%"]],
    ["1%", ["1%"]],
    ["100%", ["100%"]],
    ["999999999", [999999999]],
  ];
  for (const [text, steps] of good) it(`accepts '${text}'`, () => expect(parseSerial(text)).toEqual(steps));

  const bad = ["", "0", "0%", "101%", "1e3", "0x10", "+1", "-1", "01", "2.5", "2.5%", "50 %", "1,,2", "1,", "%", "a", "1 2", "1000000000", "１"];
  for (const text of bad) {
    it(`refuses '${text}' with ZWH-USAGE naming --serial`, () => {
      try {
        parseSerial(text);
      } catch (e) {
        expect((e as ZwhError).code).toBe("ZWH-USAGE");
        expect((e as ZwhError).message).toContain(`--serial '${text}'`);
        expect((e as ZwhError).hint).toContain("--serial 1,25%,100%");
        return;
      }
      throw new Error(`'${text}' was accepted`);
    });
  }

  it("serialStepOf normalises nothing it does not understand", () => {
    expect(serialStepOf("7")).toBe(7);
    expect(serialStepOf("07%")).toBeUndefined();
    expect(serialStepOf(" 7")).toBeUndefined();
  });
});

describe("parseMaxFailTotal", () => {
  const good: Array<[string, number | string]> = [["0", 0], ["3", 3], ["1000000", 1000000], ["0%", "0%"], ["10%", "10%"], ["100%", "100%"]];
  for (const [text, v] of good) it(`accepts '${text}'`, () => expect(parseMaxFailTotal(text)).toBe(v));
  for (const text of ["", "-1", "01", "1e2", "0x3", "2.5", "101%", "5.5%", "05%", "%", "10000000", " 3"]) {
    it(`refuses '${text}'`, () => {
      expect(() => parseMaxFailTotal(text)).toThrow(`--max-fail-total '${text}' is neither`);
    });
  }
});

describe("orderHosts", () => {
  const names = ["lpar2", "lpar10", "LPAR1", "lpar1"];
  const table: Array<[Parameters<typeof orderHosts>[1], string[]]> = [
    ["inventory", ["lpar2", "lpar10", "LPAR1", "lpar1"]],
    ["reverse_inventory", ["lpar1", "LPAR1", "lpar10", "lpar2"]],
    ["sorted", ["LPAR1", "lpar1", "lpar10", "lpar2"]],
    ["reverse_sorted", ["lpar2", "lpar10", "lpar1", "LPAR1"]],
  ];
  for (const [order, expected] of table) it(order, () => expect(orderHosts(names, order)).toEqual(expected));

  it("does not change its input", () => {
    const copy = [...names];
    orderHosts(names, "sorted");
    orderHosts(names, "reverse_inventory");
    expect(names).toEqual(copy);
  });
});

describe("planBatches: batch sizes (Ansible serial semantics, reference §1)", () => {
  // [non-canary hosts, serial, batch sizes]
  const table: Array<[number, SerialStep[], number[]]> = [
    [20, ["30%"], [6, 6, 6, 2]], // the reference's example
    [20, [1, "50%", "100%"], [1, 10, 9]],
    [20, DEFAULT_SERIAL, [1, 5, 14]],
    [10, [1, "25%", "100%"], [1, 2, 7]],
    [3, [1, "25%", "100%"], [1, 1, 1]], // 25% of 3 floors to 0: at least 1
    [2, [1, "25%", "100%"], [1, 1]],
    [1, [1, "25%", "100%"], [1]],
    [0, [1, "25%", "100%"], []],
    [10, [3], [3, 3, 3, 1]], // the last entry repeats, the last batch takes the remainder
    [10, [1, 2], [1, 2, 2, 2, 2, 1]],
    [10, [20], [10]], // a count larger than the fleet is one batch
    [7, ["1%"], [1, 1, 1, 1, 1, 1, 1]],
    [200, ["10%"], Array(10).fill(20)],
    [199, ["10%"], [...Array(10).fill(19), 9]],
    [16, ["33%", "100%"], [5, 11]],
    [5, ["100%"], [5]],
    [5, [], [5]], // no serial: one batch
    [100, [1, 5, "10%", "50%"], [1, 5, 10, 50, 34]],
  ];
  for (const [n, serial, sizes] of table) {
    it(`${n} hosts, serial ${JSON.stringify(serial)} → ${sizes.join("/") || "(none)"}`, () => {
      const hs = hosts(n);
      const bs = planBatches(hs, [], serial);
      expect(bs.map((b) => b.hosts.length)).toEqual(sizes);
      expect(bs.map((b) => b.index)).toEqual(sizes.map((_, i) => i));
      expect(bs.every((b) => !b.canary)).toBe(true);
      expect(bs.flatMap((b) => b.hosts)).toEqual(hs); // every host once, in order
    });
  }

  it("stepSize: percentages floor with integer arithmetic, at least 1", () => {
    expect([stepSize("30%", 20), stepSize("10%", 9), stepSize("33%", 100), stepSize("100%", 7), stepSize("1%", 0), stepSize(4, 2)]).toEqual([6, 1, 33, 7, 1, 4]);
    // 0.29 * 100 is 28.999999999999996 in floating point; 29% of 100 must be 29.
    expect(stepSize("29%", 100)).toBe(29);
    expect(stepSize("57%", 100)).toBe(57);
  });
});

describe("planBatches: the canary", () => {
  it("is batch 0 on its own; percentages are of the other hosts", () => {
    const hs = hosts(12);
    const bs = planBatches(hs, ["h3", "h7"], [1, "50%", "100%"]);
    expect(bs).toEqual([
      { index: 0, canary: true, hosts: ["h3", "h7"] },
      { index: 1, canary: false, hosts: ["h1"] },
      { index: 2, canary: false, hosts: ["h2", "h4", "h5", "h6", "h8"] },
      { index: 3, canary: false, hosts: ["h9", "h10", "h11", "h12"] },
    ]);
  });

  it("keeps the rollout order inside the canary batch", () => {
    expect(planBatches(["c", "b", "a"], ["a", "c"], ["100%"])[0]).toEqual({ index: 0, canary: true, hosts: ["c", "a"] });
  });

  it("canary hosts outside the selection are left out; no selected canary means no canary batch", () => {
    expect(planBatches(["h1", "h2"], ["h2", "zz"], ["100%"]).map((b) => [b.canary, b.hosts])).toEqual([[true, ["h2"]], [false, ["h1"]]]);
    expect(planBatches(["h1", "h2"], ["zz"], [1])).toEqual([
      { index: 0, canary: false, hosts: ["h1"] },
      { index: 1, canary: false, hosts: ["h2"] },
    ]);
  });

  it("only canary hosts selected: one batch", () => {
    expect(planBatches(["h1"], ["h1"], [1])).toEqual([{ index: 0, canary: true, hosts: ["h1"] }]);
  });

  it("duplicate hosts are planned once", () => {
    expect(planBatches(["h1", "h2", "h1"], [], ["100%"])).toEqual([{ index: 0, canary: false, hosts: ["h1", "h2"] }]);
  });
});

// ---- stop rules ----

const policy = (p: Partial<StopPolicy> = {}): StopPolicy => ({ maxFailPercentage: 0, continueOnBatchFailure: false, ...p });
const batch = (index: number, n: number, canary = false, prefix = `b${index}h`): Batch => ({ index, canary, hosts: hosts(n, prefix) });
/** Recaps for a batch: statuses in host order. */
const recaps = (b: Batch, statuses: FleetHostStatus[]): HostRecap[] => b.hosts.map((host, i) => ({ host, batch: b.index, status: statuses[i]! }));
const F: FleetHostStatus = "failed";
const U: FleetHostStatus = "unreachable";
const C: FleetHostStatus = "changed";

describe("evaluateBatch: the per-batch threshold is over the batch as planned and must be exceeded", () => {
  // [planned size, failed, unreachable, maxFailPercentage, stops?]
  const table: Array<[number, number, number, number, boolean]> = [
    [4, 0, 0, 0, false],
    [4, 1, 0, 0, true],
    [4, 0, 1, 0, true], // unreachable counts as failed (ansible#7686)
    [4, 1, 0, 25, false], // 25% is equalled, not exceeded
    [4, 2, 0, 25, true],
    [4, 1, 1, 49, true], // the reference's example: serial 4, stop on 2 failures ⇒ 49
    [4, 1, 0, 49, false],
    [4, 1, 1, 50, false],
    [3, 1, 0, 33, true], // 33.3% > 33
    [3, 1, 0, 34, false],
    [10, 3, 0, 30, false],
    [10, 2, 2, 30, true],
    [10, 0, 3, 29, true],
    [7, 1, 0, 14, true], // 14.28% > 14
    [7, 1, 0, 15, false],
    [200, 1, 0, 0, true],
    [200, 2, 0, 1, false],
    [200, 3, 0, 1, true],
    [5, 4, 0, 100, false], // 80% never exceeds 100%
    [1, 0, 0, 0, false],
  ];
  for (const [size, failed, unreachable, pct, stops] of table) {
    it(`batch of ${size}: ${failed} failed + ${unreachable} unreachable, maxFailPercentage ${pct} → ${stops ? "stop" : "continue"}`, () => {
      const b = batch(1, size);
      const statuses = [...Array(failed).fill(F), ...Array(unreachable).fill(U), ...Array(size - failed - unreachable).fill(C)];
      // maxFailTotal out of the way: this table is about the batch rule.
      const stop = evaluateBatch(b, recaps(b, statuses), policy({ maxFailPercentage: pct, maxFailTotal: 1000 }), 1000);
      if (stops) expect(stop).toMatchObject({ code: "ZWH-FLEET-BATCH-THRESHOLD", batch: 1 });
      else expect(stop).toBeUndefined();
    });
  }

  it("hosts of the batch without a result do not shrink the base (ansible#32255)", () => {
    // 4 planned, 1 failed, 2 skipped inside the batch (their installer failed), 1 changed:
    // 1 of 4 is 25%, not 1 of 2 = 50%.
    const b = batch(1, 4);
    const rs = recaps(b, [F, "skipped", "skipped", C]);
    expect(evaluateBatch(b, rs, policy({ maxFailPercentage: 25, maxFailTotal: 10 }), 100)).toBeUndefined();
    expect(evaluateBatch(b, rs.slice(0, 1).concat(rs.slice(3)), policy({ maxFailPercentage: 25, maxFailTotal: 10 }), 100)).toBeUndefined();
  });

  it("the message names the counts and the limit", () => {
    const b = batch(2, 4);
    expect(evaluateBatch(b, recaps(b, [F, U, C, C]), policy({ maxFailPercentage: 25, maxFailTotal: 10 }), 100)).toEqual({
      code: "ZWH-FLEET-BATCH-THRESHOLD", batch: 2, message: "batch 2: 2 of 4 (50%) hosts failed or unreachable, more than maxFailPercentage 25%",
    });
  });
});

describe("evaluateBatch: the canary tolerates no failure", () => {
  for (const s of [F, U]) {
    it(`one ${s} canary host of 3 stops, even at maxFailPercentage 100 and continueOnBatchFailure`, () => {
      const b = batch(0, 3, true, "c");
      expect(evaluateBatch(b, recaps(b, [C, s, C]), policy({ maxFailPercentage: 100, maxFailTotal: "100%", continueOnBatchFailure: true }), 10)).toEqual({
        code: "ZWH-FLEET-CANARY-FAILED", batch: 0, message: "canary batch 0 failed on c2; no other host was touched",
      });
    });
  }
  it("a successful canary continues", () => {
    const b = batch(0, 2, true, "c");
    expect(evaluateBatch(b, recaps(b, ["changed", "unchanged"]), policy(), 10)).toBeUndefined();
  });
});

describe("evaluateBatch: a batch where every host failed stops, even at 100% (ansible#76915)", () => {
  const loose = policy({ maxFailPercentage: 100, maxFailTotal: "100%" });
  const table: Array<[string, FleetHostStatus[], boolean, string | undefined]> = [
    ["all failed", [F, F, F], false, "ZWH-FLEET-BATCH-ALL-FAILED"],
    ["all unreachable", [U, U], false, "ZWH-FLEET-BATCH-ALL-FAILED"],
    ["failed, unreachable and skipped peers, none succeeded", [F, U, "skipped"], false, "ZWH-FLEET-BATCH-ALL-FAILED"],
    ["a single-host batch that failed", [F], false, "ZWH-FLEET-BATCH-ALL-FAILED"],
    ["one succeeded", [F, F, "ok"], false, undefined],
    ["one unchanged", [F, "unchanged"], false, undefined],
    ["all failed, continueOnBatchFailure", [F, F, F], true, undefined],
  ];
  for (const [what, statuses, cont, code] of table) {
    it(`${what} → ${code ?? "continue"}`, () => {
      const b = batch(3, statuses.length);
      const stop = evaluateBatch(b, recaps(b, statuses), { ...loose, continueOnBatchFailure: cont }, 100);
      expect(stop?.code).toBe(code);
    });
  }

  it("continueOnBatchFailure does not lift the thresholds", () => {
    const b = batch(1, 2);
    expect(evaluateBatch(b, recaps(b, [F, F]), policy({ continueOnBatchFailure: true }), 10)?.code).toBe("ZWH-FLEET-BATCH-THRESHOLD");
  });

  it("the message says so", () => {
    const b = batch(4, 2);
    expect(evaluateBatch(b, recaps(b, [F, U]), loose, 100)?.message).toBe("no host of batch 4 succeeded (2 of 2 (100%) failed or unreachable)");
  });
});

describe("evaluateBatch: the cumulative threshold across batches", () => {
  /** Batches of `sizes` with `fails` failures each (the first hosts), the rest changed. */
  function run(sizes: number[], fails: number[], p: StopPolicy): Array<string | undefined> {
    const bs = sizes.map((n, i) => batch(i, n));
    const targeted = sizes.reduce((a, b) => a + b, 0);
    const all: HostRecap[] = [];
    return bs.map((b, i) => {
      all.push(...recaps(b, b.hosts.map((_, j) => (j < fails[i]! ? (j % 2 ? U : F) : C))));
      return evaluateBatch(b, all, p, targeted)?.code;
    });
  }
  // [batch sizes, failures per batch, policy, code after each batch]
  const T = "ZWH-FLEET-TOTAL-THRESHOLD";
  const table: Array<[number[], number[], Partial<StopPolicy>, Array<string | undefined>]> = [
    // maxFailTotal 1: the second failure in the run stops, although each batch is under its 50%.
    // (The rows evaluate every batch; a real run stops at the first code.)
    [[4, 4, 4], [1, 1, 0], { maxFailPercentage: 50, maxFailTotal: 1 }, [undefined, T, T]],
    [[4, 4, 4], [1, 0, 0], { maxFailPercentage: 50, maxFailTotal: 1 }, [undefined, undefined, undefined]],
    [[4, 4, 4], [0, 2, 0], { maxFailPercentage: 50, maxFailTotal: 1 }, [undefined, T, T]],
    // maxFailTotal 0: any failure.
    [[5, 5], [0, 1], { maxFailPercentage: 50, maxFailTotal: 0 }, [undefined, T]],
    // 10% of 20 targeted = 2; the third failure exceeds it.
    [[5, 5, 10], [1, 1, 1], { maxFailPercentage: 50, maxFailTotal: "10%" }, [undefined, undefined, T]],
    [[5, 5, 10], [1, 1, 0], { maxFailPercentage: 50, maxFailTotal: "10%" }, [undefined, undefined, undefined]],
    // Default: maxFailPercentage as a percentage of all targeted hosts (20% of 20 = 4): it is
    // never what stops a run, the batch rule always comes first.
    [[10, 10], [2, 2], { maxFailPercentage: 20 }, [undefined, undefined]],
    [[10, 10], [2, 3], { maxFailPercentage: 25 }, [undefined, "ZWH-FLEET-BATCH-THRESHOLD"]],
    [[4, 16], [1, 4], { maxFailPercentage: 25 }, [undefined, undefined]],
    // The GitLab incident shape: batches under a 50% batch rule lose 4 hosts each and never stop
    // under Ansible; a cumulative 20% (6 of 30) stops at the second batch.
    [[10, 10, 10], [4, 4, 4], { maxFailPercentage: 50, maxFailTotal: "20%" }, [undefined, T, T]],
    [[10, 10, 10], [4, 4, 4], { maxFailPercentage: 50, maxFailTotal: "100%" }, [undefined, undefined, undefined]],
  ];
  for (const [sizes, fails, p, codes] of table) {
    it(`batches ${sizes.join("/")} failing ${fails.join("/")} with ${JSON.stringify(p)}`, () => {
      expect(run(sizes, fails, policy(p))).toEqual(codes);
    });
  }

  it("later batches are not counted; a host counts once, with its latest recap", () => {
    const b0 = batch(0, 2);
    const b1 = batch(1, 2);
    const p = policy({ maxFailPercentage: 50, maxFailTotal: 0 });
    expect(evaluateBatch(b0, [...recaps(b0, [C, C]), ...recaps(b1, [F, F])], p, 4)).toBeUndefined();
    // b0h1 failed, then (a resumed run) succeeded: no failure is left.
    expect(evaluateBatch(b0, [...recaps(b0, [F, C]), ...recaps(b0, [C, C])], p, 4)).toBeUndefined();
    // and the other way round: the latest result is a failure.
    expect(evaluateBatch(b0, [...recaps(b0, [C, C]), ...recaps(b0, [F, C])], p, 4)?.code).toBe(T);
  });

  it("the message names the count so far and the limit", () => {
    const b0 = batch(0, 4);
    const b1 = batch(1, 4);
    const rs = [...recaps(b0, [F, C, C, C]), ...recaps(b1, [U, C, C, C])];
    expect(evaluateBatch(b1, rs, policy({ maxFailPercentage: 50, maxFailTotal: 1 }), 8)).toEqual({
      code: T, batch: 1, message: "2 of 8 (25%) targeted hosts failed or unreachable so far, more than maxFailTotal 1",
    });
  });
});

describe("skippedAfterStop", () => {
  it("marks every host of the later batches skipped with the reason and code", () => {
    const bs = planBatches(hosts(6), ["h1"], [2]);
    const stop = { code: "ZWH-FLEET-BATCH-THRESHOLD", batch: 1, message: "batch 1: 1 of 2 (50%) hosts failed or unreachable, more than maxFailPercentage 0%" };
    const skipped = skippedAfterStop(bs, stop);
    expect(skipped.map((s) => [s.host, s.batch])).toEqual([["h4", 2], ["h5", 2], ["h6", 3]]);
    for (const s of skipped) {
      expect(s).toMatchObject({ status: "skipped", errorCode: "ZWH-FLEET-BATCH-THRESHOLD" });
      expect(s.reason).toBe(`not started: the rollout stopped after batch 1: ${stop.message}`);
    }
  });

  it("nothing after the last batch", () => {
    expect(skippedAfterStop(planBatches(hosts(2), [], [1]), { code: "X", batch: 1, message: "m" })).toEqual([]);
  });
});
