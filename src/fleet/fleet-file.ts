/**
 * The fleet file: the targets of a rollout, their groups, the shared file systems and the
 * rollout policy, in YAML (schema in docs/fleet.md).
 *
 * A fleet file is edited by hand under pressure, so every problem is reported with
 * file:line:col and the key path, all of them at once, and nothing is guessed: numbers are
 * decimal digits (YAML would read 1e3 or 0x10), unknown keys are errors with a suggestion (a
 * misspelt `maxFailPercentage` must not silently become the default), duplicate keys are errors,
 * and aliases are bounded so a small hostile file cannot expand to gigabytes.
 */
import * as os from "node:os";
import * as path from "node:path";
import { LineCounter, isScalar, isSeq, parseDocument, type Node as YamlNode, type Scalar } from "yaml";
import { didYouMean } from "../core/did-you-mean";
import { ZwhError } from "../core/errors";
import { DEFAULT_SERIAL, serialStepOf } from "../core/fleet-batches";
import { FLEET } from "../core/fleet-codes";
import type { FleetFile, FleetTarget, RolloutPolicy, SerialStep } from "../core/fleet-types";
import { HOST_NAME_RE } from "../core/host-name";
import { INPUT_LIMITS, readInputText } from "../io/input-file";
import { parsePinnedHostKey } from "../remote/fingerprint";
import { NodeReader, describe, join, type Entry } from "./yaml-nodes";

/** A host name or IP address (v4, or v6 with brackets/zone) as the fleet file may give it. */
const HOST_ADDRESS = /^[A-Za-z0-9:.[\]%_-]{1,253}$/;

/** A fleet of 200 hosts is a few tens of KiB; 1 MiB leaves room and caps a hostile file. */
export const FLEET_FILE_MAX_BYTES = INPUT_LIMITS.small;
/** Aliases a fleet file may expand (yaml's own guard against "billion laughs" expansion). */
export const FLEET_MAX_ALIAS_COUNT = 100;
/** Problems listed in one error; the rest are counted. */
const MAX_LISTED = 20;

export const DEFAULT_POLICY: RolloutPolicy = {
  serial: DEFAULT_SERIAL,
  maxFailPercentage: 0,
  continueOnBatchFailure: false,
  forks: 10,
  progressDeadlineSeconds: 300,
  order: "inventory",
};

/** A z/OSMF target's own connection keys (with transport: zosmf); the SSH ones do not apply to it. */
const ZOSMF_KEYS = ["zosmfProfile", "zosmfHost", "zosmfPort", "zosmfUser", "zosmfPasswordEnv", "zosmfCaFile"] as const;
const SSH_KEYS = ["profile", "host", "port", "user", "identity", "knownHosts", "hostKey"] as const;
const TOP_KEYS = ["defaults", "targets", "groups", "sharedFilesystems", "rollout"] as const;
const DEFAULT_KEYS = ["root", "python", "trust", "user", "port", "identity", "knownHosts"] as const;
const TARGET_KEYS = ["profile", "host", "port", "user", "identity", "knownHosts", "hostKey", "root", "python", "trust", "tags", ...ZOSMF_KEYS, "transport"] as const;
const ROLLOUT_KEYS = ["canary", "serial", "maxFailPercentage", "maxFailTotal", "forks", "continueOnBatchFailure", "progressDeadlineSeconds", "order"] as const;
const ORDERS: RolloutPolicy["order"][] = ["inventory", "reverse_inventory", "sorted", "reverse_sorted"];
/** `all` selects every host in --limit, so no target or group may be called that. */
const RESERVED_NAMES = ["all"];
export const MAX_FORKS = 256;
export const MAX_PROGRESS_DEADLINE_SECONDS = 86_400;

/** The defaults a target reached through a Zowe ssh profile inherits (the rest come from the profile). */
const INSTALL_DEFAULTS = ["root", "python", "trust"] as const;

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Fields a target can carry, as read (before defaults are merged). */
type TargetFields = Partial<Omit<FleetTarget, "name" | "line">>;

export interface FleetFileOptions {
  /** Home directory for `~` in identity/knownHosts (default: the user's). */
  home?: string;
}

/** Read and validate a fleet file (a regular file of at most 1 MiB). */
export function loadFleetFile(file: string, opts: FleetFileOptions = {}): FleetFile {
  const abs = path.resolve(file);
  const text = readInputText(abs, { what: "fleet file", maxBytes: FLEET_FILE_MAX_BYTES });
  return parseFleetFile(text, abs, opts);
}

/** Validate fleet file text; `file` names it in errors and anchors its relative paths. */
export function parseFleetFile(text: string, file: string, opts: FleetFileOptions = {}): FleetFile {
  const abs = path.resolve(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new NodeReader(doc, lines);
  for (const e of [...doc.errors, ...doc.warnings]) {
    // yaml points at the repeated key's first character; its text runs to the colon.
    const key = e.code === "DUPLICATE_KEY" ? (/^["']?([^"':\n]*)/.exec(text.slice(e.pos[0]))?.[1]?.trim() || "(key)") : "(yaml)";
    const message = e.code === "DUPLICATE_KEY" ? `duplicate key '${key}' (each key may appear once in a mapping)` : e.message;
    r.add(e.pos[0], key, message);
  }
  if (r.problems.length === 0) {
    try {
      // Expands every alias once with yaml's budget; the node walk below expands the same ones.
      doc.toJS({ maxAliasCount: FLEET_MAX_ALIAS_COUNT });
    } catch (e) {
      r.add(0, "(yaml)", `too many alias expansions (more than ${FLEET_MAX_ALIAS_COUNT}): ${(e as Error).message}`);
    }
  }
  if (r.problems.length > 0) throw invalid(abs, r);
  const fleet = new FleetReader(r, abs, opts.home ?? os.homedir()).read(r.deref(doc.contents));
  if (r.problems.length > 0 || fleet === undefined) throw invalid(abs, r);
  return fleet;
}

function invalid(file: string, r: NodeReader): ZwhError {
  const ps = r.problems;
  const listed = ps.slice(0, MAX_LISTED).map((p) => `${file}:${p.line}:${p.col}: ${p.key}: ${p.message}`);
  const more = ps.length > MAX_LISTED ? [`… and ${ps.length - MAX_LISTED} more`] : [];
  const message = ps.length === 1 ? `invalid fleet file ${listed[0]}` : `invalid fleet file ${file}: ${ps.length} problems:\n  ${[...listed, ...more].join("\n  ")}`;
  return new ZwhError(FLEET.INVALID, message, {
    subject: file,
    hint: "Fix the fleet file at the lines named and run the command again; docs/fleet.md describes every key.",
    details: { file, problems: ps.slice(0, MAX_LISTED) },
  });
}

class FleetReader {
  private readonly dir: string;

  constructor(
    private readonly r: NodeReader,
    private readonly file: string,
    private readonly home: string,
  ) {
    this.dir = path.dirname(file);
  }

  read(root: YamlNode | undefined): FleetFile | undefined {
    if (this.r.isEmpty(root)) {
      this.r.add(root, "targets", "the fleet file is empty; it needs at least a targets: section");
      return undefined;
    }
    const top = this.r.entries(root, "(top level)", "the fleet file");
    if (!top) return undefined;
    const sections = new Map(this.r.unknownKeys(top, TOP_KEYS, "").map((e) => [e.name, e]));

    const defaults = this.optionalMap(sections.get("defaults"), "defaults", (es) => this.fields(es, "defaults", DEFAULT_KEYS));
    const targets = this.targets(sections.get("targets"), defaults ?? {}, root);
    const names = new Set(targets.map((t) => t.name));
    const groups = this.optionalMap(sections.get("groups"), "groups", (es) => this.memberLists(es, "groups", names, true)) ?? {};
    const shared = this.optionalMap(sections.get("sharedFilesystems"), "sharedFilesystems", (es) => this.memberLists(es, "sharedFilesystems", names, false)) ?? {};
    const rollout = this.optionalMap(sections.get("rollout"), "rollout", (es) => this.rollout(es, groups, names)) ?? { ...DEFAULT_POLICY, serial: [...DEFAULT_POLICY.serial] };
    if (this.r.problems.length > 0) return undefined;
    return { path: this.file, targets, groups, sharedFilesystems: shared, rollout };
  }

  /** A section that may be absent or empty (`groups:` with nothing under it). */
  private optionalMap<T>(e: Entry | undefined, key: string, read: (es: Entry[]) => T): T | undefined {
    if (e === undefined || this.r.isEmpty(e.value)) return undefined;
    const es = this.r.entries(e.value, key, key);
    return es ? read(es) : undefined;
  }

  private targets(e: Entry | undefined, defaults: TargetFields, root: YamlNode | undefined): FleetTarget[] {
    const es = e === undefined || this.r.isEmpty(e.value) ? [] : this.r.entries(e.value, "targets", "targets");
    if (!es) return [];
    if (es.length === 0) {
      this.r.add(e?.value ?? root, "targets", "no targets; list at least one (name: { host: … } or name: { profile: … })");
      return [];
    }
    const out: FleetTarget[] = [];
    for (const t of es) {
      const key = join("targets", t.name);
      if (!this.checkName(t, key, "target")) continue;
      if (this.r.isEmpty(t.value)) {
        this.r.add(t.keyNode, key, "has no settings; give it host: (with user:) or profile: (a Zowe ssh profile)");
        continue;
      }
      const fs = this.r.entries(t.value, key, `target ${t.name}`);
      if (!fs) continue;
      const own = this.fields(fs, key, TARGET_KEYS);
      const zosmf = own.transport === "zosmf";
      if (zosmf) this.zosmfTarget(t, fs, key);
      else {
        for (const f of fs.filter((x) => (ZOSMF_KEYS as readonly string[]).includes(x.name))) {
          this.r.add(f.keyNode, join(key, f.name), "applies only to a z/OSMF target; add transport: zosmf (docs/zosmf.md)");
        }
        if (own.profile === undefined && own.host === undefined && !fs.some((f) => f.name === "host" || f.name === "profile")) {
          this.r.add(t.keyNode, key, "has neither host: nor profile:; give the address (host:, with user:) or a Zowe ssh profile (profile:)");
        }
      }
      // A profile carries its own connection (host, port, user, key): defaults must not silently
      // override it, so a profile target inherits only the install settings (root, python, trust).
      // So does a z/OSMF target: the SSH defaults (user, port, identity) are not its connection.
      const inherited = own.profile === undefined && !zosmf ? defaults : pick(defaults, INSTALL_DEFAULTS);
      const merged = { ...inherited, ...own };
      if (merged.root === undefined && !fs.some((f) => f.name === "root")) {
        this.r.add(t.keyNode, key, "has no root: (the install root on the target); set it under defaults: or on the target");
        continue;
      }
      out.push({ name: t.name, ...merged, root: merged.root ?? "", tags: merged.tags ?? [], line: this.r.at(t.keyNode).line });
    }
    return out;
  }

  /** A z/OSMF target: a zosmf profile or zosmfHost, and none of the SSH connection keys. */
  private zosmfTarget(t: Entry, fs: Entry[], key: string): void {
    for (const f of fs.filter((x) => (SSH_KEYS as readonly string[]).includes(x.name))) {
      this.r.add(f.keyNode, join(key, f.name), "is an SSH setting; a transport: zosmf target is reached with zosmfProfile: or zosmfHost: (docs/zosmf.md)");
    }
    if (!fs.some((f) => f.name === "zosmfHost" || f.name === "zosmfProfile")) {
      this.r.add(t.keyNode, key, "is a transport: zosmf target without zosmfHost: or zosmfProfile:; give the z/OSMF address (zosmfHost:, with zosmfUser: and zosmfPasswordEnv:) or a Zowe zosmf profile");
    }
  }

  private checkName(e: Entry, key: string, what: string): boolean {
    if (!HOST_NAME_RE.test(e.name)) {
      this.r.add(e.keyNode, key, `'${e.name}' is not a valid ${what} name (letters, digits and . _ - : @ [ ], starting with a letter or digit, at most 128)`);
      return false;
    }
    if (RESERVED_NAMES.includes(e.name)) {
      this.r.add(e.keyNode, key, `'${e.name}' is reserved (--limit all selects every host); choose another ${what} name`);
      return false;
    }
    return true;
  }

  /** The settings of `defaults:` or one target; keys outside `known` are reported. */
  private fields(es: Entry[], at: string, known: readonly string[]): TargetFields {
    const out: TargetFields = {};
    for (const f of this.r.unknownKeys(es, known, at)) {
      const key = join(at, f.name);
      const v = f.value;
      switch (f.name) {
        case "port":
          out.port = this.r.integer(v, key, 1, 65535);
          break;
        case "profile":
          out.profile = this.r.text(v, key);
          break;
        case "host":
          out.host = this.word(v, key, HOST_ADDRESS, "a host name or IP address");
          break;
        case "user":
          out.user = this.word(v, key, /^[A-Za-z0-9@#$._-]{1,64}$/, "a user ID");
          break;
        case "root":
        case "python":
          out[f.name] = this.absolute(v, key);
          break;
        case "identity":
        case "knownHosts":
        case "trust":
          out[f.name] = this.localPath(v, key, f.name !== "trust");
          break;
        case "hostKey":
          out.hostKey = this.hostKey(v, key);
          break;
        case "transport": {
          const tr = this.r.text(v, key);
          if (tr === "ssh" || tr === "zosmf") out.transport = tr;
          else if (tr !== undefined) this.r.add(v, key, `must be ssh or zosmf, not '${tr.slice(0, 80)}'`);
          break;
        }
        case "zosmfProfile":
          out.zosmfProfile = this.r.text(v, key);
          break;
        case "zosmfHost":
          out.zosmfHost = this.word(v, key, HOST_ADDRESS, "a host name or IP address");
          break;
        case "zosmfPort":
          out.zosmfPort = this.r.integer(v, key, 1, 65535);
          break;
        case "zosmfUser":
          out.zosmfUser = this.word(v, key, /^[A-Za-z0-9@#$._-]{1,64}$/, "a user ID");
          break;
        case "zosmfPasswordEnv":
          out.zosmfPasswordEnv = this.word(v, key, /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "an environment variable name (the password itself never goes in the file)");
          break;
        case "zosmfCaFile":
          out.zosmfCaFile = this.localPath(v, key, false);
          break;
        case "tags":
          out.tags = this.names(v, key, "tags")
            .filter((x) => {
              if (/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(x.name)) return true;
              this.r.add(x.node, x.at, `'${x.name.slice(0, 80)}' is not a tag (letters, digits and . _ - :, starting with a letter or digit, at most 64)`);
              return false;
            })
            .map((x) => x.name);
          break;
      }
    }
    // Drop keys whose value was refused, so "neither host nor profile" is not reported twice.
    for (const k of Object.keys(out) as Array<keyof TargetFields>) if (out[k] === undefined) delete out[k];
    return out;
  }

  /** Text that ends up on an ssh command line or in a connection: no spaces, no leading dash. */
  private word(v: YamlNode | undefined, key: string, re: RegExp, what: string): string | undefined {
    const s = this.r.text(v, key);
    if (s === undefined) return undefined;
    if (!re.test(s) || s.startsWith("-")) {
      this.r.add(v, key, `'${s.slice(0, 80)}' is not ${what}`);
      return undefined;
    }
    return s;
  }

  /** A path on the target (z/OS UNIX): absolute, one line. */
  private absolute(v: YamlNode | undefined, key: string): string | undefined {
    const s = this.r.text(v, key);
    if (s === undefined) return undefined;
    if (!s.startsWith("/") || /[\u0000-\u001f\u007f]/.test(s)) {
      this.r.add(v, key, `must be an absolute path on the target (starting with /), not '${s.slice(0, 80)}'`);
      return undefined;
    }
    return s;
  }

  /**
   * A path on this machine: `~` and `~/…` are the home directory (where ssh keys live), other
   * relative paths are relative to the fleet file, so the file means the same from any directory.
   */
  private localPath(v: YamlNode | undefined, key: string, tilde: boolean): string | undefined {
    const s = this.r.text(v, key);
    if (s === undefined) return undefined;
    if (/[\u0000-\u001f\u007f]/.test(s)) {
      this.r.add(v, key, "must be a path on one line");
      return undefined;
    }
    if (s.startsWith("~")) {
      if (!tilde || !(s === "~" || s.startsWith("~/"))) {
        this.r.add(v, key, `'~' is expanded only as ~/… in identity and knownHosts; write the full path instead of '${s.slice(0, 80)}'`);
        return undefined;
      }
      return path.join(this.home, s.slice(1));
    }
    return path.resolve(this.dir, s);
  }

  private hostKey(v: YamlNode | undefined, key: string): string | undefined {
    const s = this.r.text(v, key);
    if (s === undefined) return undefined;
    try {
      parsePinnedHostKey(s);
      return s.trim();
    } catch (e) {
      const err = e as ZwhError;
      this.r.add(v, key, `${err.message}${err.hint ? `; ${err.hint}` : ""}`);
      return undefined;
    }
  }

  /** A list of names (tags, group members), each checked to be text. */
  private names(v: YamlNode | undefined, key: string, what: string): Array<{ name: string; node: YamlNode | undefined; at: string }> {
    const items = this.r.items(v, key, what);
    if (!items) return [];
    const out: Array<{ name: string; node: YamlNode | undefined; at: string }> = [];
    for (const [i, it] of items.entries()) {
      const s = this.r.text(it, `${key}[${i}]`);
      if (s !== undefined) out.push({ name: s, node: it, at: `${key}[${i}]` });
    }
    return out;
  }

  /** groups: or sharedFilesystems: name → non-empty list of distinct targets. */
  private memberLists(es: Entry[], at: string, targets: Set<string>, isGroups: boolean): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    // A host sees one install root, so it belongs to one shared file system at most.
    const sharedBy = new Map<string, string>();
    for (const g of es) {
      const key = join(at, g.name);
      if (!this.checkName(g, key, isGroups ? "group" : "shared file system")) continue;
      if (isGroups && targets.has(g.name)) {
        this.r.add(g.keyNode, key, `group '${g.name}' has the name of a target; --limit could not tell them apart, so rename one`);
        continue;
      }
      const members = this.names(g.value, key, isGroups ? `group ${g.name}` : `shared file system ${g.name}`);
      if (members.length === 0 && !this.r.problems.some((p) => p.key === key)) {
        this.r.add(g.value ?? g.keyNode, key, "lists no targets; list at least one or remove it");
      }
      const seen = new Set<string>();
      const list: string[] = [];
      for (const m of members) {
        if (!targets.has(m.name)) {
          this.r.add(m.node, m.at, `'${m.name}' is not a target${didYouMean(m.name, [...targets])}`);
        } else if (seen.has(m.name)) {
          this.r.add(m.node, m.at, `'${m.name}' is listed twice`);
        } else if (!isGroups && sharedBy.has(m.name)) {
          this.r.add(m.node, m.at, `target '${m.name}' is already in shared file system '${sharedBy.get(m.name)}'; a host has one install root, so it belongs to one shared file system at most`);
        } else {
          if (!isGroups) sharedBy.set(m.name, g.name);
          seen.add(m.name);
          list.push(m.name);
        }
      }
      out[g.name] = list;
    }
    return out;
  }

  private rollout(es: Entry[], groups: Record<string, string[]>, targets: Set<string>): RolloutPolicy {
    const p: RolloutPolicy = { ...DEFAULT_POLICY, serial: [...DEFAULT_POLICY.serial] };
    for (const f of this.r.unknownKeys(es, ROLLOUT_KEYS, "rollout")) {
      const key = join("rollout", f.name);
      const v = f.value;
      switch (f.name) {
        case "canary": {
          const s = this.r.text(v, key);
          if (s === undefined) break;
          if (!(s in groups)) {
            const also = targets.has(s) ? ` ('${s}' is a target: make a group of it, e.g. groups: { canary: [${s}] })` : didYouMean(s, Object.keys(groups));
            this.r.add(v, key, `'${s}' is not a group${also}`);
          } else p.canary = s;
          break;
        }
        case "serial": {
          const serial = this.serial(v, key);
          if (serial) p.serial = serial;
          break;
        }
        case "maxFailPercentage":
          p.maxFailPercentage = this.r.integer(v, key, 0, 100) ?? p.maxFailPercentage;
          break;
        case "maxFailTotal": {
          const isPct = isScalar(v) && typeof v.value === "string";
          const total = isPct ? this.r.percent(v, key, 0) : this.r.integer(v, key, 0, 1_000_000);
          if (total !== undefined) p.maxFailTotal = total;
          break;
        }
        case "forks":
          p.forks = this.r.integer(v, key, 1, MAX_FORKS) ?? p.forks;
          break;
        case "progressDeadlineSeconds":
          p.progressDeadlineSeconds = this.r.integer(v, key, 1, MAX_PROGRESS_DEADLINE_SECONDS) ?? p.progressDeadlineSeconds;
          break;
        case "continueOnBatchFailure":
          p.continueOnBatchFailure = this.r.boolean(v, key) ?? p.continueOnBatchFailure;
          break;
        case "order": {
          const s = this.r.text(v, key);
          if (s === undefined) break;
          if ((ORDERS as string[]).includes(s)) p.order = s as RolloutPolicy["order"];
          else this.r.add(v, key, `'${s}' is not an order${didYouMean(s, ORDERS)}; use one of ${ORDERS.join(", ")}`);
          break;
        }
      }
    }
    return p;
  }

  /** serial: a list of steps, or one step (a count or "N%"). */
  private serial(v: YamlNode | undefined, key: string): SerialStep[] | undefined {
    const one = (n: YamlNode | undefined, k: string): SerialStep | undefined => {
      // A plain 3 is read as written (so 1e3 is refused); "25%" and a quoted "3" are text.
      const raw = !isScalar(n) ? undefined : n.type === "PLAIN" ? (n as Scalar.Parsed).source : typeof n.value === "string" ? n.value : undefined;
      const step = raw === undefined ? undefined : serialStepOf(raw);
      if (step === undefined) this.r.add(n, k, `must be a batch size: a whole number of hosts (at least 1) or a percentage from 1% to 100% such as "25%", not ${describe(n)}`);
      return step;
    };
    if (!isSeq(v)) {
      const s = one(v, key);
      return s === undefined ? undefined : [s];
    }
    const items = this.r.items(v, key, "serial");
    if (!items) return undefined;
    if (items.length === 0) {
      this.r.add(v, key, 'is empty; give batch sizes such as [1, "25%", "100%"], or leave it out for the default');
      return undefined;
    }
    const steps = items.map((it, i) => one(it, `${key}[${i}]`));
    return steps.every((s) => s !== undefined) ? (steps as SerialStep[]) : undefined;
  }
}

/** The hosts of the canary batch: the canary group's members, or none. */
export function canaryHosts(fleet: Pick<FleetFile, "groups" | "rollout">): string[] {
  const c = fleet.rollout.canary;
  return c === undefined ? [] : [...(fleet.groups[c] ?? [])];
}
