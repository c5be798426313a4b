/**
 * PEP 508 dependency specifiers and environment markers, hand-written (npm has no marker
 * evaluator; see supply-chain.md §12).
 *
 *   requirement = name [ "[" extras "]" ] [ versionspec ] [ ";" marker ]
 *   versionspec = "(" clauses ")" | clauses
 *   marker      = or_expr;  or_expr = and_expr ("or" and_expr)*;  and_expr = atom ("and" atom)*
 *   atom        = "(" marker ")" | value op value;  value = env variable | quoted string
 *
 * URL requirements (`name @ https://...`) are refused: a bundle is a closed set of files and a
 * URL would make pip reach outside it.
 *
 * Marker semantics follow `packaging`: when the operator is a version operator and the right
 * side forms a valid PEP 440 specifier and the left side a valid version, compare as versions
 * (pre-releases allowed); otherwise fall back to string comparison (`~=`/`===` have no string
 * meaning and are an error). `extra` values are normalized (PEP 685) on both sides.
 */
import { ZwhError } from "./errors";
import { formatSpecifierSet, isValidVersion, parseSpecifierSet, satisfies, SpecifierClause } from "./pep440";
import { isValidProjectName, normalizeExtra, normalizeName } from "./names";

export const MARKER_VARIABLES = [
  "os_name",
  "sys_platform",
  "platform_machine",
  "platform_python_implementation",
  "platform_release",
  "platform_system",
  "platform_version",
  "python_version",
  "python_full_version",
  "implementation_name",
  "implementation_version",
  "extra",
] as const;
export type MarkerVariable = (typeof MARKER_VARIABLES)[number];

/** A PEP 508 marker environment; `extra` is filled in per evaluation. */
export type MarkerEnvironment = Partial<Record<MarkerVariable, string>>;

export type MarkerOperand = { kind: "var"; name: MarkerVariable } | { kind: "str"; value: string };
export type MarkerOp = "<=" | "<" | "!=" | "==" | ">=" | ">" | "~=" | "===" | "in" | "not in";
export type MarkerNode =
  | { type: "and" | "or"; left: MarkerNode; right: MarkerNode }
  | { type: "cmp"; left: MarkerOperand; op: MarkerOp; right: MarkerOperand };

export interface Requirement {
  /** Name as written. */
  name: string;
  normalizedName: string;
  /** Normalized (PEP 685), de-duplicated, sorted. */
  extras: string[];
  /** Canonical specifier set (`>=1,<2`), "" for any version. */
  specifier: string;
  clauses: SpecifierClause[];
  marker?: MarkerNode;
  /** The original text. */
  text: string;
}

/** Example target environment for IBM Open Enterprise SDK for Python 3.11 on z/OS 3.1, z15. */
export const ZOS_EXAMPLE_ENV: Readonly<MarkerEnvironment> = Object.freeze({
  os_name: "posix",
  sys_platform: "zos",
  platform_machine: "8561",
  platform_python_implementation: "CPython",
  platform_release: "29.00",
  platform_system: "OS/390",
  platform_version: "04",
  python_version: "3.11",
  python_full_version: "3.11.7",
  implementation_name: "cpython",
  implementation_version: "3.11.7",
});

const VERSION_OPS = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"] as const;

class Parser {
  pos = 0;
  constructor(readonly src: string, readonly what: string) {}

  fail(why: string): never {
    throw new ZwhError("ZWH-PEP508-INVALID", `invalid ${this.what} "${this.src}": ${why} at position ${this.pos}`, {
      subject: this.src,
      hint: 'Requirements look like: name[extra1,extra2] >=1.0,<2 ; python_version >= "3.8"',
    });
  }
  ws(): void {
    while (this.pos < this.src.length && (this.src[this.pos] === " " || this.src[this.pos] === "\t")) this.pos++;
  }
  eof(): boolean {
    return this.pos >= this.src.length;
  }
  peek(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (this.peek(s)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }
  /** A keyword must not run into an identifier character (`android` is not `and`). */
  eatWord(w: string): boolean {
    if (this.peek(w) && !/[A-Za-z0-9_.-]/.test(this.src[this.pos + w.length] ?? "")) {
      this.pos += w.length;
      return true;
    }
    return false;
  }
  identifier(): string {
    const m = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/.exec(this.src.slice(this.pos));
    if (!m) this.fail("expected a name");
    this.pos += m[0].length;
    return m[0];
  }

  // ----- markers -----
  markerOr(): MarkerNode {
    let left = this.markerAnd();
    for (;;) {
      this.ws();
      if (!this.eatWord("or")) return left;
      left = { type: "or", left, right: this.markerAnd() };
    }
  }
  markerAnd(): MarkerNode {
    let left = this.markerAtom();
    for (;;) {
      this.ws();
      if (!this.eatWord("and")) return left;
      left = { type: "and", left, right: this.markerAtom() };
    }
  }
  markerAtom(): MarkerNode {
    this.ws();
    if (this.eat("(")) {
      const inner = this.markerOr();
      this.ws();
      if (!this.eat(")")) this.fail('expected ")"');
      return inner;
    }
    const left = this.markerValue();
    this.ws();
    const op = this.markerOp();
    const right = this.markerValue();
    return { type: "cmp", left, op, right };
  }
  markerOp(): MarkerOp {
    for (const op of VERSION_OPS) if (this.eat(op)) return op;
    if (this.eatWord("in")) return "in";
    if (this.eatWord("not")) {
      this.ws();
      if (this.eatWord("in")) return "not in";
      this.fail('expected "in" after "not"');
    }
    this.fail("expected a marker operator");
  }
  markerValue(): MarkerOperand {
    this.ws();
    const q = this.src[this.pos];
    if (q === '"' || q === "'") {
      const end = this.src.indexOf(q, this.pos + 1);
      if (end < 0) this.fail("unterminated string");
      const value = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
      return { kind: "str", value };
    }
    const m = /^[a-z_]+/.exec(this.src.slice(this.pos));
    if (!m || !(MARKER_VARIABLES as readonly string[]).includes(m[0])) this.fail("expected a marker variable or a quoted string");
    this.pos += m[0].length;
    return { kind: "var", name: m[0] as MarkerVariable };
  }

  // ----- requirement -----
  versionSpec(inParens: boolean): string {
    // Collect clause text up to ";" (or ")" inside parentheses); pep440 validates it.
    const stop = inParens ? /[);]/ : /;/;
    const start = this.pos;
    while (!this.eof() && !stop.test(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos).trim();
  }
}

/** Parse one PEP 508 requirement. Throws ZWH-PEP508-INVALID, or ZWH-PEP508-URL for `@ url`. */
export function parseRequirement(text: string): Requirement {
  const p: Parser = new Parser(text, "requirement");
  p.ws();
  const name = p.identifier();
  if (!isValidProjectName(name)) p.fail(`"${name}" is not a valid project name`);
  p.ws();
  const extras: string[] = [];
  if (p.eat("[")) {
    p.ws();
    if (!p.eat("]")) {
      for (;;) {
        p.ws();
        extras.push(normalizeExtra(p.identifier()));
        p.ws();
        if (p.eat("]")) break;
        if (!p.eat(",")) p.fail('expected "," or "]" in extras');
      }
    }
    p.ws();
  }
  if (p.peek("@")) {
    throw new ZwhError("ZWH-PEP508-URL", `URL requirement "${text}" is not allowed: a bundle must be a closed set of wheels`, {
      subject: text,
      hint: "Download the wheel, add it to the bundle and require it by name and version.",
    });
  }
  let specText = "";
  if (p.eat("(")) {
    specText = p.versionSpec(true);
    if (!p.eat(")")) p.fail('expected ")"');
  } else if (!p.eof() && !p.peek(";")) {
    specText = p.versionSpec(false);
  }
  let clauses: SpecifierClause[];
  try {
    clauses = parseSpecifierSet(specText);
  } catch (e) {
    p.fail(e instanceof Error ? e.message : String(e));
  }
  p.ws();
  let marker: MarkerNode | undefined;
  if (p.eat(";")) {
    marker = p.markerOr();
    p.ws();
  }
  if (!p.eof()) p.fail("unexpected trailing text");
  return {
    name,
    normalizedName: normalizeName(name),
    extras: [...new Set(extras)].sort(),
    specifier: formatSpecifierSet(clauses),
    clauses,
    marker,
    text,
  };
}

/** Parse a bare marker expression (`python_version >= "3.8" and sys_platform != "win32"`). */
export function parseMarker(text: string): MarkerNode {
  const p: Parser = new Parser(text, "marker");
  const node = p.markerOr();
  p.ws();
  if (!p.eof()) p.fail("unexpected trailing text");
  return node;
}

/**
 * Evaluate a marker. A variable missing from `env` is an error (ZWH-PEP508-MARKER-ENV),
 * except `extra`, which defaults to "" (no extra requested), as in pip.
 */
export function evaluateMarker(marker: MarkerNode | string, env: MarkerEnvironment): boolean {
  const node = typeof marker === "string" ? parseMarker(marker) : marker;
  switch (node.type) {
    case "and":
      return evaluateMarker(node.left, env) && evaluateMarker(node.right, env);
    case "or":
      return evaluateMarker(node.left, env) || evaluateMarker(node.right, env);
    case "cmp": {
      const isExtra = (node.left.kind === "var" && node.left.name === "extra") || (node.right.kind === "var" && node.right.name === "extra");
      let l = operandValue(node.left, env);
      let r = operandValue(node.right, env);
      if (isExtra) {
        l = normalizeExtra(l);
        r = normalizeExtra(r);
      }
      return compareOp(l, node.op, r);
    }
  }
}

function operandValue(o: MarkerOperand, env: MarkerEnvironment): string {
  if (o.kind === "str") return o.value;
  const v = env[o.name];
  if (v === undefined) {
    if (o.name === "extra") return "";
    throw new ZwhError("ZWH-PEP508-MARKER-ENV", `marker variable ${o.name} is not set in the target environment`, {
      subject: o.name,
      hint: "Capture the full marker environment from the target (pip install --report / pip inspect 'environment').",
    });
  }
  return v;
}

function compareOp(l: string, op: MarkerOp, r: string): boolean {
  if (op === "in") return r.includes(l);
  if (op === "not in") return !r.includes(l);
  // Version semantics when the right side makes a valid specifier and the left a valid version.
  let clauses: SpecifierClause[] | null = null;
  try {
    clauses = parseSpecifierSet(`${op}${r}`);
  } catch {
    clauses = null;
  }
  if (clauses && clauses.length === 1 && (op === "===" || isValidVersion(l))) {
    return satisfies(l, clauses, { prereleases: true });
  }
  switch (op) {
    case "==":
      return l === r;
    case "!=":
      return l !== r;
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    case ">=":
      return l >= r;
    default:
      throw new ZwhError("ZWH-PEP508-MARKER", `cannot compare "${l}" ${op} "${r}": ${op} needs PEP 440 versions on both sides`, {
        subject: `${l} ${op} ${r}`,
      });
  }
}

/** Render a marker back to canonical text (for reports and the closure tree). */
export function formatMarker(node: MarkerNode, parent?: "and" | "or"): string {
  if (node.type === "cmp") {
    // PEP 508 strings have no escapes: pick the quote the value does not contain.
    const f = (o: MarkerOperand) => (o.kind === "var" ? o.name : o.value.includes('"') ? `'${o.value}'` : `"${o.value}"`);
    return `${f(node.left)} ${node.op} ${f(node.right)}`;
  }
  const s = `${formatMarker(node.left, node.type)} ${node.type} ${formatMarker(node.right, node.type)}`;
  return parent === "and" && node.type === "or" ? `(${s})` : s;
}

/** Canonical text of a requirement: `name[a,b]>=1,<2; marker`. */
export function formatRequirement(r: Requirement): string {
  let s = r.name;
  if (r.extras.length) s += `[${r.extras.join(",")}]`;
  s += r.specifier;
  if (r.marker) s += `; ${formatMarker(r.marker)}`;
  return s;
}
