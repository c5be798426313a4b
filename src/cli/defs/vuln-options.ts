/** Options of the offline vulnerability gate, shared by bundle create/verify, deploy and vuln scan. */
import type { OptionDef } from "../framework/types";

export const VULN_GROUP = "Vulnerability gate options";

export const vulnDbOption: OptionDef = {
  name: "vuln-db", type: "string", group: VULN_GROUP,
  description: "OSV snapshot of PyPI (all.zip from https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip) to check every " +
    "wheel against, offline. Malicious packages (MAL-*) are always refused; see --max-cvss, --cvss-compare, --allow-unscored, --waivers.",
};

/** The gate's options; `withDefaults` = show the defaults (create), or leave them to the bundle's signed policy (verify, deploy). */
export function vulnGateOptions(withDefaults: boolean): OptionDef[] {
  const tail = withDefaults ? "" : " Default: the value in the bundle's signed policy, else the default.";
  return [
    vulnDbOption,
    { name: "max-cvss", type: "string", group: VULN_GROUP, ...(withDefaults ? { defaultValue: "7.0" } : {}),
      description: "CVSS base score threshold (0.0-10.0; default 7.0). With --cvss-compare ge (default) scores >= it are refused (CVSS 'High' starts at 7.0); with gt only scores above it (IBM's literal 'scores > 7')." + tail },
    { name: "cvss-compare", type: "string", group: VULN_GROUP, allowableValues: ["ge", "gt"], ...(withDefaults ? { defaultValue: "ge" } : {}),
      description: "ge: refuse a score >= --max-cvss (inclusive, default); gt: refuse a score > --max-cvss (exclusive)." + tail },
    { name: "allow-unscored", type: "boolean", group: VULN_GROUP,
      description: "Report vulnerabilities with no CVSS vector and no severity instead of refusing them (ZWH-VULN-UNSCORED). Off by default." + tail },
    { name: "waivers", type: "array", group: VULN_GROUP,
      description: "Signed waiver documents (DSSE envelopes from 'vuln sign': a Wheelhouse waiver list or a CycloneDX VEX), checked against --trust. " +
        "A waiver names a vulnerability id or alias, a reason and an expiry; expired waivers no longer apply; malicious packages cannot be waived." },
  ];
}
