/**
 * The bundle verifier's worker threads use inspectWheelBlocking (synchronous reads and inflate);
 * the main thread uses inspectWheel. Both must reach identical findings and facts for every
 * hostile variant, or a refusal could depend on which thread happened to check a wheel.
 */
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { inspectWheel, inspectWheelBlocking } from "../../src/bundle/wheel-verify";
import { buildWheel, type WheelMutations } from "../support/wheels";

const variants: Array<[string, WheelMutations]> = [
  ["clean", {}],
  ["tampered RECORD hash", { tamperRecordHash: true }],
  ["tampered RECORD size", { tamperRecordSize: true }],
  ["member missing from RECORD", { omitFromRecord: true }],
  ["RECORD line without member", { extraRecordLine: true }],
  ["path traversal", { traversalEntry: true }],
  ["absolute path", { absoluteEntry: true }],
  ["symlink member", { symlinkEntry: true }],
  ["duplicate member", { duplicateEntry: true }],
  ["zip bomb", { bomb: { size: 8 * 1024 * 1024 } }],
  ["truncated archive", { truncate: 200 }],
  ["METADATA name mismatch", { metadataName: "other-name" }],
  ["no RECORD", { noRecord: true }],
];

describe("inspectWheelBlocking agrees with inspectWheel", () => {
  const dir = mkdtempSync(join(tmpdir(), "zwh-blocking-"));
  for (const [title, mutate] of variants) {
    it(title, async () => {
      const path = await buildWheel(join(dir, title.replace(/\W+/g, "-")), {
        name: "demo-pkg",
        version: "1.0",
        files: { "demo_pkg/big.txt": "x".repeat(3 * 1024 * 1024), "demo_pkg/__init__.py": "VALUE = 1\n" },
        mutate,
      });
      const a = await inspectWheel(path);
      const b = await inspectWheelBlocking(path);
      expect(b.ok).toBe(a.ok);
      expect(b.findings.map((f) => [f.code, f.message])).toEqual(a.findings.map((f) => [f.code, f.message]));
      expect(b.facts).toEqual(a.facts);
      if (title !== "clean") expect(a.ok).toBe(false);
    });
  }
});
