/**
 * Closure of a wheel set: does the bundle contain everything its top-level requirements need,
 * on the target, and nothing ambiguous?
 *
 * pip in hash mode would prove this on an interpreter like the target's; at bundle time we
 * usually do not have one, so Requires-Dist is evaluated here against the captured target
 * marker environment (supply-chain.md §3). Rules:
 *  - top-level requirements (PEP 508) are the roots; with none, every wheel is a root;
 *  - a requirement whose marker is false on the target is skipped;
 *  - `pkg[extra]` activates pkg's Requires-Dist entries whose marker is true with
 *    `extra == "<extra>"`; base dependencies are evaluated with extra "" (as pip does);
 *  - every needed requirement must be satisfied by exactly one wheel in the set. Version checks
 *    allow pre-releases: the bundle pins each wheel explicitly, and pip's resolver accepts a
 *    pinned pre-release;
 *  - each selected wheel's Requires-Python must admit the target's python_full_version.
 * Findings: ZWH-CLOSURE-UNRESOLVED, ZWH-CLOSURE-VERSION-CONFLICT, ZWH-CLOSURE-AMBIGUOUS,
 * ZWH-CLOSURE-BAD-REQUIREMENT, ZWH-WHEEL-REQUIRES-PYTHON; warnings for unneeded wheels and
 * unknown extras.
 */
import { refusal, ZwhError } from "./errors";
import { evaluateMarker, MarkerEnvironment, parseRequirement, Requirement } from "./pep508";
import { satisfies } from "./pep440";
import { normalizeName } from "./names";

/** The subset of WheelFacts the closure needs. */
export interface ClosureWheel {
  filename: string;
  name: string;
  version: string;
  requiresDist: string[];
  requiresPython?: string;
  providesExtra?: string[];
}

export interface ClosureEdge {
  /** Requirement text as written in Requires-Dist (or the top-level list). */
  requirement: string;
  /** Normalized name of the required project. */
  project: string;
  /** Filename of the wheel that satisfies it, when one does. */
  wheel?: string;
  /** The extra of the requiring wheel that activated this edge ("" = base dependency). */
  viaExtra: string;
}

export interface ClosureNode {
  project: string;
  name: string;
  version: string;
  filename: string;
  /** Extras activated on this project by whoever required it. */
  extras: string[];
  requires: ClosureEdge[];
  /** Filenames of the wheels that require this one; "<top-level>" for roots. */
  requiredBy: string[];
}

export interface ClosureResult {
  ok: boolean;
  findings: ZwhError[];
  warnings: string[];
  /** Normalized project names of the roots that apply on the target. */
  roots: string[];
  /** Needed wheels, sorted by project name. */
  nodes: ClosureNode[];
  /** Filenames of wheels in the set that nothing needs. */
  unneeded: string[];
}

export const TOP_LEVEL = "<top-level>";

export function resolveClosure(wheels: ClosureWheel[], requirements: string[] | undefined, env: MarkerEnvironment): ClosureResult {
  const findings: ZwhError[] = [];
  const warnings: string[] = [];
  const byProject = new Map<string, ClosureWheel[]>();
  for (const w of wheels) {
    const key = normalizeName(w.name);
    byProject.set(key, [...(byProject.get(key) ?? []), w]);
  }
  const pythonFull = env.python_full_version ?? env.python_version;

  const parse = (text: string, who: string): Requirement | undefined => {
    try {
      return parseRequirement(text);
    } catch (e) {
      const err = e as ZwhError;
      findings.push(refusal("ZWH-CLOSURE-BAD-REQUIREMENT", `cannot parse requirement "${text}" of ${who}: ${err.message}`, { subject: who, details: { requirement: text, cause: err.code } }));
      return undefined;
    }
  };
  const applies = (req: Requirement, extra: string, who: string): boolean => {
    if (!req.marker) return true;
    try {
      return evaluateMarker(req.marker, { ...env, extra });
    } catch (e) {
      findings.push(refusal("ZWH-CLOSURE-BAD-REQUIREMENT", `cannot evaluate the marker of "${req.text}" (${who}): ${(e as Error).message}`, { subject: who }));
      return false;
    }
  };

  interface State {
    wheel: ClosureWheel;
    node: ClosureNode;
    activated: Set<string>;
  }
  const selected = new Map<string, State>();
  const queue: Array<{ req: Requirement; by: string; viaExtra: string; from?: ClosureNode }> = [];

  const roots: string[] = [];
  if (requirements && requirements.length) {
    for (const text of requirements) {
      const req = parse(text, TOP_LEVEL);
      if (req && applies(req, "", TOP_LEVEL)) {
        queue.push({ req, by: TOP_LEVEL, viaExtra: "" });
        roots.push(req.normalizedName);
      }
    }
  } else {
    for (const w of wheels) {
      const req = parse(`${w.name}==${w.version}`, TOP_LEVEL);
      if (req) {
        queue.push({ req, by: TOP_LEVEL, viaExtra: "" });
        roots.push(req.normalizedName);
      }
    }
  }

  const enqueueDeps = (st: State, extra: string) => {
    for (const text of st.wheel.requiresDist) {
      const req = parse(text, st.wheel.filename);
      if (!req || !applies(req, extra, st.wheel.filename)) continue;
      // Base deps (extra "") also pass when evaluated with an extra; only add edges once.
      if (extra !== "" && applies(req, "", st.wheel.filename)) continue;
      queue.push({ req, by: st.wheel.filename, viaExtra: extra, from: st.node });
    }
  };

  while (queue.length) {
    const { req, by, viaExtra, from } = queue.shift()!;
    const project = req.normalizedName;
    const edge: ClosureEdge = { requirement: req.text, project, viaExtra };
    from?.requires.push(edge);
    const candidates = byProject.get(project) ?? [];
    const matching = candidates.filter((w) => versionOk(w.version, req));
    const current = selected.get(project);
    let chosen: ClosureWheel | undefined;
    if (current) {
      if (!versionOk(current.wheel.version, req)) {
        findings.push(
          refusal("ZWH-CLOSURE-VERSION-CONFLICT", `${who(by)} requires ${req.text}, but the bundle's ${current.wheel.filename} (${current.wheel.version}) does not satisfy it`, {
            subject: by,
            details: { requirement: req.text, requiredBy: by, available: candidates.map((c) => c.version) },
            hint: "Replace the wheel with a version that satisfies every requirement on it.",
          }),
        );
        continue;
      }
      chosen = current.wheel;
    } else if (candidates.length === 0) {
      findings.push(
        refusal("ZWH-CLOSURE-UNRESOLVED", `${who(by)} requires ${req.text}, and the bundle has no wheel for ${req.name}`, {
          subject: by,
          details: { requirement: req.text, requiredBy: by },
          hint: "Add a wheel for it (pip download --only-binary=:all: for the target), or remove the wheel that needs it.",
        }),
      );
      continue;
    } else if (matching.length === 0) {
      findings.push(
        refusal(
          "ZWH-CLOSURE-VERSION-CONFLICT",
          `${who(by)} requires ${req.text}, but the bundle only has ${req.name} ${candidates.map((c) => c.version).join(", ")}`,
          { subject: by, details: { requirement: req.text, requiredBy: by, available: candidates.map((c) => c.version) } },
        ),
      );
      continue;
    } else if (matching.length > 1) {
      findings.push(
        refusal("ZWH-CLOSURE-AMBIGUOUS", `${who(by)} requires ${req.text}, which ${matching.length} wheels satisfy (${matching.map((m) => m.filename).join(", ")})`, {
          subject: by,
          details: { requirement: req.text, wheels: matching.map((m) => m.filename) },
          hint: "Keep one wheel per project in a bundle.",
        }),
      );
      continue;
    } else {
      chosen = matching[0];
    }
    edge.wheel = chosen.filename;
    let st = selected.get(project);
    if (!st) {
      const node: ClosureNode = { project, name: chosen.name, version: chosen.version, filename: chosen.filename, extras: [], requires: [], requiredBy: [] };
      st = { wheel: chosen, node, activated: new Set() };
      selected.set(project, st);
      if (chosen.requiresPython && pythonFull) {
        let ok = false;
        let malformed = false;
        try {
          ok = satisfies(pythonFull, chosen.requiresPython, { prereleases: true });
        } catch {
          malformed = true;
        }
        if (malformed) {
          // Not "the target has X": the wheel's metadata is at fault (ZWH-WHEEL-METADATA).
          findings.push(
            refusal("ZWH-WHEEL-METADATA", `${chosen.filename}: Requires-Python ${JSON.stringify(chosen.requiresPython)} is not a valid PEP 440 version specifier`, {
              subject: chosen.filename,
              details: { requiresPython: chosen.requiresPython },
              hint: "pip cannot evaluate this wheel's Python requirement. Use a release of the project with valid metadata.",
            }),
          );
        } else if (!ok) {
          findings.push(
            refusal("ZWH-WHEEL-REQUIRES-PYTHON", `${chosen.filename} requires Python ${chosen.requiresPython}; the target has ${pythonFull}`, {
              subject: chosen.filename,
              details: { requiresPython: chosen.requiresPython, target: pythonFull },
              hint: "Use a wheel version that supports the target's Python.",
            }),
          );
        }
      }
      enqueueDeps(st, "");
    }
    if (!st.node.requiredBy.includes(by)) st.node.requiredBy.push(by);
    for (const extra of req.extras) {
      if (st.activated.has(extra)) continue;
      st.activated.add(extra);
      st.node.extras.push(extra);
      const provided = (chosen.providesExtra ?? []).map(normalizeName);
      if (chosen.providesExtra && !provided.includes(extra)) {
        warnings.push(`${chosen.filename} does not provide the extra "${extra}" requested by ${who(by)}`);
      }
      enqueueDeps(st, extra);
    }
  }

  const neededFiles = new Set([...selected.values()].map((s) => s.wheel.filename));
  const unneeded = wheels.filter((w) => !neededFiles.has(w.filename)).map((w) => w.filename).sort();
  for (const u of unneeded) warnings.push(`${u} is not needed by any requirement on this target`);
  const nodes = [...selected.values()].map((s) => s.node).sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
  for (const n of nodes) n.extras.sort();
  return { ok: findings.length === 0, findings, warnings, roots: [...new Set(roots)].sort(), nodes, unneeded };
}

/** Throwing form: the first finding. */
export function assertClosure(wheels: ClosureWheel[], requirements: string[] | undefined, env: MarkerEnvironment): ClosureResult {
  const r = resolveClosure(wheels, requirements, env);
  if (r.findings.length) throw r.findings[0];
  return r;
}

function versionOk(version: string, req: Requirement): boolean {
  try {
    return satisfies(version, req.clauses, { prereleases: true });
  } catch {
    return false;
  }
}

function who(by: string): string {
  return by === TOP_LEVEL ? "the top-level requirements" : by;
}

/**
 * Render the closure as an indented tree (for `bundle inspect`). Each project is expanded once;
 * later occurrences and cycles are marked with "(see above)".
 */
export function formatClosureTree(result: ClosureResult): string {
  const byProject = new Map(result.nodes.map((n) => [n.project, n]));
  const lines: string[] = [];
  const expanded = new Set<string>();
  const visit = (project: string, depth: number, label: string) => {
    const n = byProject.get(project);
    const pad = "  ".repeat(depth);
    if (!n) {
      lines.push(`${pad}${label}  [UNRESOLVED]`);
      return;
    }
    const extras = n.extras.length ? `[${n.extras.join(",")}]` : "";
    if (expanded.has(project)) {
      lines.push(`${pad}${n.name}${extras} ${n.version}  (see above)`);
      return;
    }
    expanded.add(project);
    lines.push(`${pad}${n.name}${extras} ${n.version}  ${n.filename}${label ? `  <- ${label}` : ""}`);
    for (const e of n.requires) visit(e.project, depth + 1, e.viaExtra ? `${e.requirement} (extra ${e.viaExtra})` : e.requirement);
  };
  for (const r of result.roots) visit(r, 0, "");
  if (result.unneeded.length) {
    lines.push("unneeded:");
    for (const u of result.unneeded) lines.push(`  ${u}`);
  }
  return lines.join("\n") + "\n";
}
