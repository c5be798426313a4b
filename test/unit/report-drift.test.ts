/** Drift report renderers over one fixed report: table, Markdown, JUnit, SARIF, JSON; compareHost rules. */
import { describe, expect, it } from "vitest";
import { compareHost, driftExitCode, type DriftObservation } from "../../src/core/drift";
import { sampleReport } from "../support/drift-sample";
import { renderDriftReport } from "../../src/report/render-drift";

describe("drift renderers", () => {
  const r = sampleReport();
  it("exit codes: drift 2, unknown 4, both 6; --fail-on filters drift by severity, never unknown", () => {
    expect(r.exitCode).toBe(6);
    expect(driftExitCode(r.findings.filter((f) => f.kind !== "unknown"))).toBe(2);
    expect(driftExitCode(r.findings.filter((f) => f.kind === "unknown"))).toBe(4);
    expect(driftExitCode([])).toBe(0);
    expect(driftExitCode(r.findings.filter((f) => f.kind === "out-of-band"), "high")).toBe(0);
    expect(driftExitCode(r.findings.filter((f) => f.kind === "unknown"), "high")).toBe(4);
  });
  it("table: no colour by default, every line within 100 columns, findings high first with the fix", () => {
    const t = renderDriftReport(r, "table");
    expect(t).not.toMatch(/\u001b\[/);
    for (const l of t.split("\n")) expect(l.length).toBeLessThanOrEqual(100);
    expect(t).toMatch(/3 host\(s\): 1 clean, 1 drifted, 1 unknown; 33\.3% compliant/);
    expect(t.indexOf("evil.pth")).toBeLessThan(t.indexOf("rogue"));
    expect(t).toMatch(/fix: zwh deploy --repair --profile lpar1/);
    expect(renderDriftReport(r, "table", { color: true })).toMatch(/\u001b\[31m/);
  });
  it("markdown escapes table cells", () => {
    const m = renderDriftReport(r, "markdown");
    expect(m).toMatch(/^# Drift report run-1/);
    expect(m).toContain("Wheelhouse \\| \\<b\\>");
  });
  it("junit: a suite per host, a failure per drifted check, an error for the unknown host", () => {
    const x = renderDriftReport(r, "junit");
    expect(x).toMatch(/<testsuite name="lpar1" tests="6" failures="2" errors="0"/);
    expect(x).toMatch(/<testsuite name="lpar2" tests="1" failures="0" errors="1"/);
    expect(x).toMatch(/<error type="ZWH-SSH-CONNECT"/);
    expect(x).toContain("&lt;b&gt;");
    expect(x).not.toContain("<b>");
  });
  it("sarif 2.1.0: a rule per kind, levels by severity, stable fingerprints", () => {
    const s = JSON.parse(renderDriftReport(r, "sarif")) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; level: string; partialFingerprints: Record<string, string> }> }> };
    expect(s.version).toBe("2.1.0");
    expect(s.runs[0].tool.driver.rules.map((x) => x.id)).toContain("zwh-drift/integrity");
    expect(s.runs[0].results.map((x) => [x.ruleId, x.level])).toEqual([["zwh-drift/integrity", "error"], ["zwh-drift/out-of-band", "warning"], ["zwh-drift/unknown", "error"]]);
    expect(new Set(s.runs[0].results.map((x) => x.partialFingerprints["wheelhouseFinding/v1"])).size).toBe(3);
  });
  it("json is the report itself, versioned", () => {
    expect(JSON.parse(renderDriftReport(r, "json"))).toEqual(r);
  });
});

describe("compareHost", () => {
  const base: DriftObservation = {
    root: "/u/wh", interpreter: { version: "3.11.7", realpath: "/usr/lpp/IBM/cyp/v3r11/pyz/bin/python3.11", platform: "zos" },
    current: { target: "releases/app-1", kind: "link", release: "app-1" },
    release: {
      id: "app-1", exists: true,
      receipt: { statementDigest: "sha256:aa", installed: [{ name: "app", version: "1.0" }, { name: "lib", version: "2.0" }], bootstrap: [], python: { fingerprint: { version: "3.11.7", realpath: "/usr/lpp/IBM/cyp/v3r11/pyz/bin/python3.11", platform: "zos" } } },
      distributions: [{ name: "app", version: "1.0", files: 3 }, { name: "lib", version: "2.0", files: 3 }],
      record: { checked: 6, owned: 6, findings: [] },
    },
  };
  const rec = { releaseId: "app-1", statementDigest: "sha256:aa", installed: [{ name: "app", version: "1.0" }, { name: "lib", version: "2.0" }] };
  const cmp = (o: DriftObservation, extra = {}) => compareHost({ host: "h", target: "--host h --root /u/wh", cli: "zwh", observation: o, recorded: rec, ...extra });
  it("clean when everything matches", () => expect(cmp(base)).toEqual([]));
  it("activation: current re-pointed", () => {
    const f = cmp({ ...base, current: { target: "releases/app-0", kind: "link", release: "app-0" } });
    expect(f[0]).toMatchObject({ kind: "activation", severity: "high", recorded: "app-1", observed: "app-0" });
    expect(f[0].remediation).toBe("zwh rollback --to app-1 --host h --root /u/wh");
  });
  it("environment: the interpreter was replaced under the venv (an SDK APAR)", () => {
    const f = cmp({ ...base, interpreter: { ...base.interpreter, version: "3.11.9" } });
    expect(f).toEqual([expect.objectContaining({ kind: "environment", severity: "high", recorded: "3.11.7", observed: "3.11.9" })]);
  });
  it("out-of-band: removed and changed packages are high, names compared PEP 503-normalised", () => {
    const f = cmp({ ...base, release: { ...base.release!, distributions: [{ name: "App", version: "1.1", files: 3 }] } });
    expect(f.map((x) => [x.kind, x.severity, x.subject])).toEqual([["out-of-band", "high", "App"], ["out-of-band", "high", "lib"]]);
  });
  it("unapplied: the desired bundle is not the recorded one; the remediation names the bundle", () => {
    const f = cmp(base, { desired: { bundleId: "app", statementDigest: "sha256:bb", releaseId: "app-2", source: "./bundle-2" } });
    expect(f).toEqual([expect.objectContaining({ kind: "unapplied", severity: "high", remediation: "zwh deploy ./bundle-2 --host h --root /u/wh" })]);
  });
});
