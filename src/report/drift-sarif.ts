/**
 * SARIF 2.1.0 for code-scanning dashboards: one rule per drift kind, one result per finding,
 * located at the host's install root (a logical location; there is no source file).
 */
import type { DriftKind, Severity } from "../core/drift";
import type { DriftReport } from "./drift-model";

const RULES: Record<DriftKind, string> = {
  integrity: "Installed files differ from their RECORD (modified, missing, or extra files in site-packages).",
  "out-of-band": "Packages were added, removed or changed outside Wheelhouse.",
  tags: "z/OS file tags of files Wheelhouse wrote are not the intended ones.",
  activation: "The active release (current) is not the recorded one, or is missing.",
  environment: "The interpreter under the release changed since it was deployed.",
  unapplied: "The desired bundle is not the deployed one.",
  unknown: "The host could not be observed; its state is unknown.",
};

function level(s: Severity): "error" | "warning" | "note" {
  return s === "high" ? "error" : s === "medium" ? "warning" : "note";
}

export function renderDriftSarif(r: DriftReport, toolVersion: string): string {
  const kinds = Object.keys(RULES) as DriftKind[];
  const doc = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "wheelhouse-drift",
            version: toolVersion,
            rules: kinds.map((k) => ({ id: `zwh-drift/${k}`, name: k, shortDescription: { text: RULES[k] } })),
          },
        },
        automationDetails: { id: `wheelhouse-drift/${r.runId}` },
        invocations: [{ executionSuccessful: true, exitCode: r.exitCode, endTimeUtc: r.generatedAt }],
        results: r.findings.map((f) => ({
          ruleId: `zwh-drift/${f.kind}`,
          ruleIndex: kinds.indexOf(f.kind),
          level: level(f.severity),
          message: { text: `${f.host}: ${f.message}. Fix: ${f.remediation}` },
          locations: [{ logicalLocations: [{ name: f.subject, fullyQualifiedName: `${f.host}:${f.subject}`, kind: "resource" }] }],
          partialFingerprints: { "wheelhouseFinding/v1": Buffer.from(f.key).toString("base64url") },
          properties: { host: f.host, severity: f.severity, ...(f.recorded !== undefined ? { recorded: f.recorded } : {}), ...(f.observed !== undefined ? { observed: f.observed } : {}), ...(f.firstSeen ? { firstSeen: f.firstSeen } : {}) },
        })),
      },
    ],
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
