/** One fixed drift report (three hosts: drifted, unknown, clean) for renderer tests. */
import { driftExitCode, type Finding } from "../../src/core/drift";
import { totalsOf, type DriftReport } from "../../src/report/drift-model";

export function sampleReport(): DriftReport {
  const findings: Finding[] = [
    { host: "lpar1", kind: "integrity", severity: "high", subject: "evil.pth", key: "k1", message: "extra start-up hook evil.pth in site-packages (runs at every interpreter start)", observed: "present", recorded: "absent", remediation: "zwh deploy --repair --profile lpar1 --root /u/wh", firstSeen: "2026-12-01T10:00:00.000Z" },
    { host: "lpar1", kind: "out-of-band", severity: "medium", subject: "rogue", key: "k2", message: "package rogue 9.9 was added outside Wheelhouse | <b>", remediation: "zwh deploy --repair --profile lpar1 --root /u/wh" },
    { host: "lpar2", kind: "unknown", severity: "high", subject: "lpar2", key: "k3", message: "not observed: connection refused (ZWH-SSH-CONNECT)", remediation: "zwh drift --profile lpar2 --root /u/wh" },
  ];
  const hosts = [
    { host: "lpar1", root: "/u/wh", status: "drift" as const, release: "app-0123456789ab", findings: 2, filesChecked: 5012, lastDeploy: { by: "ibmuser", at: "2026-11-30T09:00:00.000Z", bundleId: "app" } },
    { host: "lpar2", root: "/u/wh", status: "unknown" as const, release: null, findings: 1, errorCode: "ZWH-SSH-CONNECT" },
    { host: "lpar3-with-a-very-long-logical-name", root: "/u/wh", status: "clean" as const, release: "app-0123456789ab-and-a-long-tail-that-is-cut", findings: 0 },
  ];
  return { formatVersion: "1.0", runId: "run-1", generatedAt: "2026-12-03T12:00:00.000Z", cli: "zwh", failOn: "low", totals: totalsOf(hosts, findings), hosts, findings, exitCode: driftExitCode(findings) };
}

