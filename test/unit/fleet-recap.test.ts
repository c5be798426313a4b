/** Batch totals, exit codes, the retry file and the human recap of a fleet run. */
import { describe, expect, it } from "vitest";
import { planBatches, skippedAfterStop } from "../../src/core/fleet-batches";
import { batchRecaps, fleetExitCode, latestByHost, retryFileText } from "../../src/core/fleet-recap";
import { parseRetryFile, selectHosts } from "../../src/core/fleet-select";
import type { FleetHostStatus, FleetRecap, HostRecap } from "../../src/core/fleet-types";
import { renderFleetRecap, wrap } from "../../src/report/fleet-recap-text";

const r = (host: string, batch: number, status: FleetHostStatus, extra: Partial<HostRecap> = {}): HostRecap => ({ host, batch, status, ...extra });

describe("fleetExitCode", () => {
  // [final statuses, exit code]
  const table: Array<[FleetHostStatus[], number]> = [
    [[], 0],
    [["ok", "changed", "unchanged"], 0],
    [["changed", "failed"], 2],
    [["changed", "unreachable"], 4],
    [["failed", "unreachable"], 6],
    [["changed", "skipped"], 2], // the run stopped: the bundle is not on the skipped hosts
    [["unreachable", "skipped"], 6], // canary unreachable, the rest skipped
    [["changed", "pending"], 2], // an interrupted run
    [["running"], 2],
    [["unreachable", "unreachable"], 4],
  ];
  for (const [statuses, code] of table) {
    it(`${statuses.join(", ") || "(no hosts)"} → ${code}`, () => {
      expect(fleetExitCode(statuses.map((s, i) => r(`h${i}`, 0, s)))).toBe(code);
    });
  }

  it("a host's latest result counts (a resumed run that fixed it exits 0)", () => {
    expect(fleetExitCode([r("a", 0, "failed"), r("b", 0, "changed"), r("a", 0, "changed")])).toBe(0);
    expect(fleetExitCode([r("a", 0, "changed"), r("a", 0, "unreachable")])).toBe(4);
  });
});

describe("latestByHost", () => {
  it("keeps one recap per host, the latest, in the order of the latest results", () => {
    expect(latestByHost([r("a", 0, "failed"), r("b", 1, "changed"), r("a", 0, "changed")]).map((h) => [h.host, h.status])).toEqual([["b", "changed"], ["a", "changed"]]);
  });
});

describe("batchRecaps", () => {
  it("counts each batch's hosts by final status, planned as planned", () => {
    const batches = planBatches(["c1", "h1", "h2", "h3", "h4", "h5"], ["c1"], [2]);
    const hosts = [
      r("c1", 0, "changed"),
      r("h1", 1, "failed"), r("h2", 1, "unreachable"),
      r("h3", 2, "running"), // no final result: in planned only
      r("h5", 3, "skipped"),
      r("h1", 1, "changed"), // latest result of h1
    ];
    expect(batchRecaps(hosts, batches)).toEqual([
      { index: 0, canary: true, planned: 1, counts: { ok: 0, changed: 1, unchanged: 0, failed: 0, unreachable: 0, skipped: 0 } },
      { index: 1, canary: false, planned: 2, counts: { ok: 0, changed: 1, unchanged: 0, failed: 0, unreachable: 1, skipped: 0 } },
      { index: 2, canary: false, planned: 2, counts: { ok: 0, changed: 0, unchanged: 0, failed: 0, unreachable: 0, skipped: 0 } },
      { index: 3, canary: false, planned: 1, counts: { ok: 0, changed: 0, unchanged: 0, failed: 0, unreachable: 0, skipped: 1 } },
    ]);
  });
});

describe("retryFileText", () => {
  const hosts = [
    r("lpar1", 0, "changed"),
    r("lpar2", 1, "failed", { errorCode: "ZWH-DEPLOY-PIP", reason: "pip install failed:\nno matching distribution" }),
    r("lpar10", 1, "unreachable", { errorCode: "ZWH-SSH-CONNECT", reason: "connection refused" }),
    r("lpar3", 2, "skipped", { errorCode: "ZWH-FLEET-BATCH-THRESHOLD", reason: "not started" }),
    r("lpar4", 1, "failed"),
  ];

  it("lists failed and unreachable hosts with status, code and reason on one line each", () => {
    expect(retryFileText(hosts, { runId: "run-42" })).toBe(
      "# Failed and unreachable hosts of fleet run run-42; use with --limit @FILE.\n" +
        "lpar2   # failed ZWH-DEPLOY-PIP pip install failed: no matching distribution\n" +
        "lpar10  # unreachable ZWH-SSH-CONNECT connection refused\n" +
        "lpar4   # failed -\n",
    );
  });

  it("is empty when nothing failed", () => {
    expect(retryFileText([r("a", 0, "changed"), r("b", 1, "skipped")])).toBe("");
  });

  it("round trip: the retry file selects exactly the failed and unreachable hosts", () => {
    const text = retryFileText(hosts);
    const names = { hosts: ["lpar1", "lpar2", "lpar3", "lpar4", "lpar10"], groups: {} };
    expect(parseRetryFile(text)).toEqual(["lpar2", "lpar10", "lpar4"]);
    expect(selectHosts(names, "@last.hosts", { "last.hosts": text })).toEqual(["lpar2", "lpar4", "lpar10"]);
  });
});

function sampleRecap(): FleetRecap {
  const batches = planBatches(["lpar1", "lpar2", "lpar3", "lpar4", "lpar5", "lpar6"], ["lpar1"], [1, "100%"]);
  const stop = { code: "ZWH-FLEET-BATCH-ALL-FAILED", batch: 1, message: "no host of batch 1 succeeded (1 of 1 (100%) failed or unreachable)" };
  const hosts: HostRecap[] = [
    r("lpar1", 0, "changed", { releaseId: "20261203T235900Z-ab12cd", durationMs: 9300 }),
    r("lpar2", 1, "failed", { errorCode: "ZWH-DEPLOY-PIP", step: "install", reason: "pip exited 1: ERROR: Could not find a version that satisfies the requirement numpy==2.1.0 (from versions: none); the wheel for cp312 is missing from the bundle", durationMs: 125_000 }),
    ...skippedAfterStop(batches, stop),
  ];
  return {
    formatVersion: 1, runId: "fr-20261203-0001", operation: "rollout", hosts, batches: batchRecaps(hosts, batches), stopped: stop,
    retryFile: "/home/op/.wheelhouse/fleet/last-failed.hosts", exitCode: fleetExitCode(hosts),
  };
}

describe("renderFleetRecap", () => {
  it("renders the run: stop reason, hosts with reasons, batch totals, run id, retry command, exit code", () => {
    const text = renderFleetRecap(sampleRecap(), { color: false, cli: "zwh", bundle: "dist/app 1.2.tar", fleet: "fleet.yaml" });
    expect(text).toBe(
      [
        "Fleet rollout fr-20261203-0001: 6 host(s): 1 changed, 0 unchanged, 0 ok, 1 failed, 0 unreachable,",
        "  4 skipped",
        "Stopped after batch 1: ZWH-FLEET-BATCH-ALL-FAILED: no host of batch 1 succeeded (1 of 1 (100%)",
        "  failed or unreachable)",
        "",
        "HOST  STATUS      BATCH CODE                       TIME",
        "lpar1 changed     0c    -                          9.3s",
        "    release 20261203T235900Z-ab12cd",
        "lpar2 failed      1     ZWH-DEPLOY-PIP             2m05s",
        "    install: pip exited 1: ERROR: Could not find a version that satisfies the requirement",
        "    numpy==2.1.0 (from versions: none); the wheel for cp312 is missing from the bundle",
        "lpar3 skipped     2     ZWH-FLEET-BATCH-ALL-FAILED",
        "    not started: the rollout stopped after batch 1",
        "lpar4 skipped     2     ZWH-FLEET-BATCH-ALL-FAILED",
        "    not started: the rollout stopped after batch 1",
        "lpar5 skipped     2     ZWH-FLEET-BATCH-ALL-FAILED",
        "    not started: the rollout stopped after batch 1",
        "lpar6 skipped     2     ZWH-FLEET-BATCH-ALL-FAILED",
        "    not started: the rollout stopped after batch 1",
        "",
        "BATCH     PLANNED CHANGED UNCHANGED      OK  FAILED UNREACHABLE SKIPPED",
        "0 canary        1       1         0       0       0           0       0",
        "1               1       0         0       0       1           0       0",
        "2               4       0         0       0       0           0       4",
        "",
        "Run id: fr-20261203-0001",
        "Failed and unreachable hosts: /home/op/.wheelhouse/fleet/last-failed.hosts",
        "to retry: zwh fleet rollout 'dist/app 1.2.tar' --fleet fleet.yaml --limit @/home/op/.wheelhouse/fleet/last-failed.hosts",
        "Exit 2 (0 all ok, 2 some failed or not done, 4 some unreachable, 6 both).",
        "",
      ].join("\n"),
    );
  });

  it("every line fits 100 columns except the pasteable retry command", () => {
    const rc = sampleRecap();
    rc.hosts.push(r("a-very-long-host-name-for-an-lpar-in-plex-nine", 2, "unreachable", { errorCode: "ZWH-SSH-HOSTKEY-MISMATCH-AND-MORE-WORDS", reason: "x".repeat(300) }));
    for (const line of renderFleetRecap(rc, { color: false, cli: "zowe wh" }).split("\n")) {
      if (line.startsWith("to retry: ")) continue;
      expect(line.length, line).toBeLessThanOrEqual(100);
    }
  });

  it("names the CLI in use and placeholders when bundle and fleet are not known; rollback takes no bundle", () => {
    const rc = sampleRecap();
    expect(renderFleetRecap(rc, { color: false, cli: "zowe wh" })).toContain("\nto retry: zowe wh fleet rollout BUNDLE --fleet FLEET --limit @/home/op/.wheelhouse/fleet/last-failed.hosts\n");
    expect(renderFleetRecap({ ...rc, operation: "rollback" }, { color: false, cli: "zwh", fleet: "f.yaml" })).toContain("\nto retry: zwh fleet rollback --fleet f.yaml --limit @/home/op/.wheelhouse/fleet/last-failed.hosts\n");
  });

  it("no retry lines and no stop line when every host is fine", () => {
    const hosts = [r("a", 0, "changed"), r("b", 0, "unchanged"), r("c", 0, "ok", { sharedWith: { group: "plexfs", installer: "a" } })];
    const text = renderFleetRecap({ formatVersion: 1, runId: "x", operation: "rollout", hosts, batches: batchRecaps(hosts, planBatches(["a", "b", "c"], [], ["100%"])), exitCode: 0 }, { color: false, cli: "zwh" });
    expect(text).not.toContain("to retry");
    expect(text).not.toContain("Stopped");
    expect(text).toContain("    shared file system plexfs, installed by a\n");
    expect(text).toContain("\nExit 0 ");
  });

  it("colours statuses only when asked", () => {
    const rc = sampleRecap();
    expect(renderFleetRecap(rc, { color: false, cli: "zwh" })).not.toContain("\u001b[");
    const coloured = renderFleetRecap(rc, { color: true, cli: "zwh" });
    expect(coloured).toContain("\u001b[33mchanged    \u001b[0m");
    expect(coloured).toContain("\u001b[31mfailed     \u001b[0m");
    expect(coloured).toContain("\u001b[36mskipped    \u001b[0m");
    // Colour changes no text.
    expect(coloured.replace(/\u001b\[[0-9]+m/g, "")).toBe(renderFleetRecap(rc, { color: false, cli: "zwh" }));
  });

  it("counts hosts that did not finish", () => {
    const hosts = [r("a", 0, "changed"), r("b", 1, "pending"), r("c", 1, "running")];
    const text = renderFleetRecap({ formatVersion: 1, runId: "x", operation: "rollout", hosts, batches: [], exitCode: 2 }, { color: false, cli: "zwh" });
    expect(text.split("\n").slice(0, 2)).toEqual(["Fleet rollout x: 3 host(s): 1 changed, 0 unchanged, 0 ok, 0 failed, 0 unreachable, 0 skipped, 2", "  not finished"]);
  });
});

describe("wrap", () => {
  it("wraps at word boundaries, splits words longer than a line, and bounds the lines", () => {
    expect(wrap("aaa bbb ccc", 8, "  ")).toEqual(["  aaa", "  bbb", "  ccc"]);
    expect(wrap("x".repeat(10), 6, "  ")).toEqual(["  xxxx", "  xxxx", "  xx"]);
    expect(wrap("a b c d e f", 4, " ", 2)).toEqual([" a b", " c …"]); // cut to the width, marked
    expect(wrap("a b c d e f", 6, " ", 2)).toEqual([" a b c", " d e f"]);
    expect(wrap("a b c d e f g", 6, " ", 2)).toEqual([" a b c", " d e …"]);
    expect(wrap("a b c", 8, " ", 1)).toEqual([" a b c"]);
    expect(wrap("one\ntwo\tthree", 80, "")).toEqual(["one two three"]);
  });
});
