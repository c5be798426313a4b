/**
 * Reading a YAML document node by node, so every complaint about a fleet file can name the file,
 * line, column and key path (a plain `toJS()` loses the positions). Collects all problems of a
 * file instead of stopping at the first, so one edit-and-retry fixes them all.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node as YamlNode, type Scalar } from "yaml";
import { didYouMean } from "../core/did-you-mean";

export interface Problem {
  line: number;
  col: number;
  /** Dotted key path: "targets.lpar2.port". */
  key: string;
  message: string;
}

/** A map entry with its key's text and nodes (the value already through its alias, if any). */
export interface Entry {
  name: string;
  keyNode: YamlNode;
  value: YamlNode | undefined;
}

/** Deeper than any real fleet file; stops a self-referencing alias from recursing forever. */
const MAX_DEPTH = 32;

export class NodeReader {
  readonly problems: Problem[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Position of a node or a source offset, 1-based. */
  at(where: YamlNode | number | undefined): { line: number; col: number } {
    const off = typeof where === "number" ? where : (where?.range?.[0] ?? 0);
    return this.lines.linePos(off);
  }

  add(where: YamlNode | number | undefined, key: string, message: string): void {
    this.problems.push({ ...this.at(where), key, message });
  }

  /** The node an alias stands for (the node itself otherwise). */
  deref(n: unknown, depth = 0): YamlNode | undefined {
    if (isAlias(n)) {
      if (depth > MAX_DEPTH) return undefined;
      return this.deref(n.resolve(this.doc), depth + 1);
    }
    return (n ?? undefined) as YamlNode | undefined;
  }

  /** True for an absent value or an explicit null (`key:` with nothing after it). */
  isEmpty(n: YamlNode | undefined): boolean {
    return n === undefined || (isScalar(n) && n.value === null);
  }

  /**
   * The entries of a mapping, or undefined (with a problem) when the node is not one. Keys must
   * be plain text; a number-looking key ("101:") is taken as written.
   */
  entries(n: YamlNode | undefined, key: string, what: string): Entry[] | undefined {
    if (!isMap(n)) {
      this.add(n, key, `${what} must be a mapping (key: value lines or { … }), not ${describe(n)}`);
      return undefined;
    }
    const out: Entry[] = [];
    for (const pair of n.items) {
      const k = this.deref(pair.key);
      if (!isScalar(k) || k.value === null || typeof k.value === "object") {
        this.add(k ?? n, key, `a key in ${what} must be a plain name`);
        continue;
      }
      const name = typeof k.value === "string" ? k.value : ((k as Scalar.Parsed).source ?? String(k.value));
      out.push({ name, keyNode: k, value: this.deref(pair.value) });
    }
    return out;
  }

  /** Problems for keys outside `known` (with the nearest known key as a suggestion). */
  unknownKeys(entries: Entry[], known: readonly string[], path: string, extraHint = ""): Entry[] {
    const ok: Entry[] = [];
    for (const e of entries) {
      if (known.includes(e.name)) ok.push(e);
      else {
        const hint = e.name === "<<" ? " (YAML merge keys are not supported; put shared settings under defaults:)" : didYouMean(e.name, known);
        this.add(e.keyNode, join(path, e.name), `unknown key '${e.name}'${hint}; known keys: ${known.join(", ")}${extraHint}`);
      }
    }
    return ok;
  }

  /** The items of a sequence, or undefined (with a problem) when the node is not one. */
  items(n: YamlNode | undefined, key: string, what: string): Array<YamlNode | undefined> | undefined {
    if (!isSeq(n)) {
      this.add(n, key, `${what} must be a list ([a, b] or "- a" lines), not ${describe(n)}`);
      return undefined;
    }
    return n.items.map((x) => this.deref(x));
  }

  /** A non-empty string scalar. */
  text(n: YamlNode | undefined, key: string): string | undefined {
    if (isScalar(n) && typeof n.value === "string") {
      if (n.value === "") {
        this.add(n, key, "is empty; give a value or leave the key out");
        return undefined;
      }
      return n.value;
    }
    const quoteHint = isScalar(n) && (typeof n.value === "number" || typeof n.value === "boolean") ? ` (write "${(n as Scalar.Parsed).source}" in quotes if it is meant as text)` : "";
    this.add(n, key, `must be text, not ${describe(n)}${quoteHint}`);
    return undefined;
  }

  /**
   * A whole number written in plain decimal digits, min..max. YAML itself would read "1e3",
   * "0x10", "0o17", "022" and "+5" as numbers; a fleet file's numbers are the digits a person
   * reads, nothing else.
   */
  integer(n: YamlNode | undefined, key: string, min: number, max: number): number | undefined {
    const src = isScalar(n) && n.type === "PLAIN" ? ((n as Scalar.Parsed).source ?? "") : undefined;
    if (src === undefined || !/^(0|[1-9][0-9]{0,14})$/.test(src)) {
      this.add(n, key, `must be a whole number from ${min} to ${max} in decimal digits, not ${describe(n)}`);
      return undefined;
    }
    const v = Number(src);
    if (v < min || v > max) {
      this.add(n, key, `must be from ${min} to ${max}, not ${v}`);
      return undefined;
    }
    return v;
  }

  /** "N%" with min <= N <= 100 (the number in decimal digits). */
  percent(n: YamlNode | undefined, key: string, min: number): `${number}%` | undefined {
    const s = isScalar(n) && typeof n.value === "string" ? n.value : undefined;
    const m = s === undefined ? null : /^(0|[1-9][0-9]{0,2})%$/.exec(s);
    if (!m || Number(m[1]) < min || Number(m[1]) > 100) {
      this.add(n, key, `must be a percentage from ${min}% to 100% such as "25%", not ${describe(n)}`);
      return undefined;
    }
    return `${Number(m[1])}%`;
  }

  /** true or false, spelt exactly so ("yes", "on", "True" are refused). */
  boolean(n: YamlNode | undefined, key: string): boolean | undefined {
    const src = isScalar(n) && n.type === "PLAIN" ? (n as Scalar.Parsed).source : undefined;
    if (src === "true" || src === "false") return src === "true";
    this.add(n, key, `must be true or false, not ${describe(n)}`);
    return undefined;
  }
}

export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** How a node looks, for messages: "a list", "a mapping", "the number 1e3", "'abc'", "nothing". */
export function describe(n: YamlNode | undefined): string {
  if (n === undefined) return "nothing";
  if (isMap(n)) return "a mapping";
  if (isSeq(n)) return "a list";
  if (isScalar(n)) {
    const src = (n as Scalar.Parsed).source;
    // A bare ~ is YAML's null: someone meaning the home directory needs to be told.
    if (n.value === null) return src === "~" ? "nothing (a bare ~ is YAML's null; write ~/… or \"~\")" : "nothing";
    const shown = (src ?? String(n.value)).slice(0, 60);
    if (typeof n.value === "number") return `the number ${shown}`;
    if (typeof n.value === "boolean") return `the boolean ${shown}`;
    return `'${shown}'`;
  }
  return "an unsupported value";
}
