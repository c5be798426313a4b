/**
 * JUnit XML: a testsuite per host, a testcase per check (kind). A drift finding is a <failure>,
 * an unknown host an <error>, so CI dashboards show hosts that could not be observed as broken,
 * never as passed.
 */
import type { DriftKind } from "../core/drift";
import type { DriftReport } from "./drift-model";
import { esc } from "./xml";

const CHECKS: readonly DriftKind[] = ["activation", "environment", "integrity", "out-of-band", "tags", "unapplied"];

export function renderDriftJunit(r: DriftReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suites = r.hosts.map((h) => {
    const fs = r.findings.filter((f) => f.host === h.host);
    const cases: string[] = [];
    let failures = 0;
    let errors = 0;
    if (h.status === "unknown") {
      errors = 1;
      const u = fs.find((f) => f.kind === "unknown");
      cases.push(`    <testcase classname="${esc(`drift.${h.host}`)}" name="observe"><error type="${esc(h.errorCode ?? "unknown")}" message="${esc(u?.message ?? "not observed")}"/></testcase>`);
    } else {
      for (const k of CHECKS) {
        const ks = fs.filter((f) => f.kind === k);
        if (ks.length === 0) {
          cases.push(`    <testcase classname="${esc(`drift.${h.host}`)}" name="${k}"/>`);
          continue;
        }
        failures++;
        const body = ks.map((f) => `[${f.severity}] ${f.message}\n  fix: ${f.remediation}`).join("\n");
        cases.push(`    <testcase classname="${esc(`drift.${h.host}`)}" name="${k}"><failure type="${k}" message="${esc(`${ks.length} finding(s)`)}">${esc(body)}</failure></testcase>`);
      }
    }
    const tests = h.status === "unknown" ? 1 : CHECKS.length;
    return `  <testsuite name="${esc(h.host)}" tests="${tests}" failures="${failures}" errors="${errors}" timestamp="${esc(r.generatedAt)}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  const tests = r.hosts.reduce((n, h) => n + (h.status === "unknown" ? 1 : CHECKS.length), 0);
  const failures = suites.length === 0 ? 0 : r.hosts.reduce((n, h) => n + (h.status === "unknown" ? 0 : new Set(r.findings.filter((f) => f.host === h.host && f.kind !== "unknown").map((f) => f.kind)).size), 0);
  out.push(`<testsuites name="wheelhouse drift ${esc(r.runId)}" tests="${tests}" failures="${failures}" errors="${r.totals.unknown}">`);
  out.push(...suites);
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
