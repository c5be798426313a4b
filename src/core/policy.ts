/**
 * Bundle policy: the deny list (S2C2F ING-3) and one version per project.
 *
 * Deny-list file, one rule per line, `#` starts a comment:
 *   evilpkg                 every version of a project (names compared PEP 503-normalized)
 *   requests==2.0.0         one version (PEP 440 equality: also denies 2.0.0+corp.1)
 *   urllib3<1.26.5          any PEP 440 specifier set (`>=1,<2`)
 *   sha256:<64 hex>         one exact wheel file
 * Version rules match pre-releases too, and a deny rule also matches by plain PEP 440
 * ordering: PEP 440 says `<1.26.5` excludes `1.26.5rc1` (a rule meant for choosing installs),
 * but a deny list must not be dodged that way, so `<`, `<=`, `>`, `>=` clauses are also tried
 * as simple comparisons (the way OSV ranges are evaluated).
 */
import { refusal, ZwhError } from "./errors";
import { parseRequirement } from "./pep508";
import { compareVersions, parseSpecifierSet, satisfies } from "./pep440";
import { normalizeName } from "./names";

export type DenyRule =
  | { kind: "project"; name: string; normalizedName: string; specifier: string; line: number; text: string }
  | { kind: "sha256"; sha256: string; line: number; text: string };

export interface DenyList {
  rules: DenyRule[];
  source?: string;
}

/** The facts a policy check needs about a wheel. */
export interface PolicyWheel {
  filename: string;
  name: string;
  version: string;
  sha256: string;
}

/** Parse a deny-list file. Throws ZWH-POLICY-DENYLIST-INVALID with the line number on bad lines. */
export function parseDenyList(text: string, source = "deny list"): DenyList {
  const rules: DenyRule[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const hashAt = raw.indexOf("#");
    const body = (hashAt >= 0 ? raw.slice(0, hashAt) : raw).trim();
    if (body === "") return;
    const bad = (why: string) =>
      new ZwhError("ZWH-POLICY-DENYLIST-INVALID", `${source} line ${line}: ${why}`, {
        subject: source,
        details: { line, text: raw },
        hint: "Lines are `name`, `name==1.2.3`, `name<2.0` or `sha256:<64 hex digits>`.",
      });
    const h = /^sha256:(.*)$/i.exec(body);
    if (h) {
      const hex = h[1].trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw bad(`"${body}" is not sha256:<64 hex digits>`);
      rules.push({ kind: "sha256", sha256: hex, line, text: body });
      return;
    }
    let req;
    try {
      req = parseRequirement(body);
    } catch (e) {
      throw bad((e as Error).message);
    }
    if (req.extras.length || req.marker) throw bad("extras and markers are not allowed in a deny list");
    rules.push({ kind: "project", name: req.name, normalizedName: req.normalizedName, specifier: req.specifier, line, text: body });
  });
  return { rules, source };
}

/** Every deny rule that matches the wheel, as ZWH-POLICY-DENIED refusals (empty: allowed). */
export function checkDenied(list: DenyList, wheel: PolicyWheel): ZwhError[] {
  const out: ZwhError[] = [];
  const project = normalizeName(wheel.name);
  const sha = wheel.sha256.toLowerCase();
  for (const r of list.rules) {
    let hit = false;
    if (r.kind === "sha256") hit = r.sha256 === sha;
    else if (r.normalizedName === project) {
      try {
        hit = r.specifier === "" || satisfies(wheel.version, r.specifier, { prereleases: true }) || orderSatisfies(wheel.version, r.specifier);
      } catch {
        hit = true; // an unparseable version cannot prove it is outside the denied range
      }
    }
    if (hit) {
      out.push(
        refusal("ZWH-POLICY-DENIED", `${wheel.filename} is denied by rule "${r.text}" (${list.source ?? "deny list"} line ${r.line})`, {
          subject: wheel.filename,
          details: { rule: r.text, line: r.line, name: wheel.name, version: wheel.version, sha256: sha },
          hint: "Remove the wheel from the bundle, or (if the rule is wrong) change the signed deny list.",
        }),
      );
    }
  }
  return out;
}

/** ZWH-POLICY-DUPLICATE-PROJECT for every project with more than one wheel in the set. */
export function checkOneVersionPerProject(wheels: Array<Pick<PolicyWheel, "filename" | "name" | "version">>): ZwhError[] {
  const groups = new Map<string, Array<Pick<PolicyWheel, "filename" | "name" | "version">>>();
  for (const w of wheels) {
    const k = normalizeName(w.name);
    groups.set(k, [...(groups.get(k) ?? []), w]);
  }
  const out: ZwhError[] = [];
  for (const [project, ws] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (ws.length < 2) continue;
    const sorted = [...ws].sort((a, b) => safeCompare(a.version, b.version) || (a.filename < b.filename ? -1 : 1));
    out.push(
      refusal("ZWH-POLICY-DUPLICATE-PROJECT", `${project} appears ${ws.length} times (${sorted.map((w) => w.filename).join(", ")}); a bundle holds one version per project`, {
        subject: project,
        details: { project, wheels: sorted.map((w) => w.filename) },
        hint: "Keep exactly one wheel per project; pip would pick one of them unpredictably.",
      }),
    );
  }
  return out;
}

/** Every clause holds by plain ordering (no PEP 440 pre/post/local exclusions). */
function orderSatisfies(version: string, specifier: string): boolean {
  return parseSpecifierSet(specifier).every((c) => {
    switch (c.operator) {
      case "<":
        return compareVersions(version, c.version) < 0;
      case "<=":
        return compareVersions(version, c.version) <= 0;
      case ">":
        return compareVersions(version, c.version) > 0;
      case ">=":
        return compareVersions(version, c.version) >= 0;
      default:
        return satisfies(version, [c], { prereleases: true });
    }
  });
}

function safeCompare(a: string, b: string): number {
  try {
    return compareVersions(a, b);
  } catch {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}
