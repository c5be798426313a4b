/**
 * Which hosts of a fleet a run touches (pure): `--limit` patterns, retry files, `--shard K/N`,
 * and who installs for a shared file system.
 *
 * `--limit` follows Ansible's pattern language where it is unambiguous here: comma-separated host
 * names, group names and shell globs, `!pattern` to exclude, `&pattern` to intersect, `@FILE` for
 * the hosts listed in a file (a retry file). Unlike Ansible (ansible#14693), a pattern that
 * matches nothing is an error, not an empty success: a typo in --limit must not look like a run
 * where every host was fine. Colons do not separate patterns: host names may contain them.
 */
import { createHash } from "node:crypto";
import { didYouMean } from "./did-you-mean";
import { ZwhError } from "./errors";
import { FLEET } from "./fleet-codes";
import type { FleetFile } from "./fleet-types";

/** The names a --limit is matched against: hosts in inventory order, and groups. */
export interface FleetNames {
  hosts: readonly string[];
  groups: Readonly<Record<string, readonly string[]>>;
}

export function fleetNames(fleet: Pick<FleetFile, "targets" | "groups">): FleetNames {
  return { hosts: fleet.targets.map((t) => t.name), groups: fleet.groups };
}

/** Names listed in errors; more are counted, not printed (a 200-host fleet). */
const MAX_LISTED = 20;
const MAX_PATTERN = 256;

function usage(message: string, hint: string): ZwhError {
  return new ZwhError("ZWH-USAGE", message, { subject: "--limit", hint });
}

const LIMIT_SYNTAX = "Patterns are host names, group names and globs (lpar*), !pattern to exclude, &pattern to intersect and @FILE, separated by commas.";

/**
 * The host names of a retry file (or any host list): one per line; `#` starts a comment (a retry
 * file says why each host is there after it); blank lines are ignored.
 */
export function parseRetryFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "");
}

/** One name or glob, and how the user wrote it, for errors: "lpar9", "!lpar9 (in @last.hosts)". */
interface Term {
  body: string;
  shown: string;
}

/** A --limit item: one term, or the lines of an @FILE (which act together, as one set). */
interface Pattern {
  op: "" | "!" | "&";
  terms: Term[];
}

function splitLimit(limit: string): Array<{ op: "" | "!" | "&"; body: string }> {
  return limit.split(",").map((raw) => {
    const item = raw.trim();
    const op = item.startsWith("!") || item.startsWith("&") ? (item[0] as "!" | "&") : "";
    const body = item.slice(op.length).trim();
    if (body === "" || body === "@") {
      throw usage(`--limit '${limit}' has an empty pattern`, LIMIT_SYNTAX + " Remove the extra comma.");
    }
    if (body.length > MAX_PATTERN) throw usage(`a --limit pattern is longer than ${MAX_PATTERN} characters`, LIMIT_SYNTAX);
    return { op, body };
  });
}

/** The files a --limit names with @FILE, as written; the caller reads them and passes their text to selectHosts. */
export function limitFileRefs(limit: string): string[] {
  return [...new Set(splitLimit(limit).filter((p) => p.body.startsWith("@")).map((p) => p.body.slice(1)))];
}

function expand(limit: string, files: Readonly<Record<string, string>>): Pattern[] {
  const out: Pattern[] = [];
  for (const { op, body } of splitLimit(limit)) {
    if (!body.startsWith("@")) {
      out.push({ op, terms: [{ body, shown: op + body }] });
      continue;
    }
    const file = body.slice(1);
    const text = files[file];
    if (text === undefined) throw new Error(`--limit @${file}: the caller did not read the file (use limitFileRefs)`);
    const names = parseRetryFile(text);
    if (names.length === 0) {
      throw new ZwhError(FLEET.LIMIT_NOMATCH, `--limit ${op}@${file} lists no host`, {
        subject: file,
        hint: "The file has one host name per line (# starts a comment); it is empty or only comments. A retry file is written only when hosts failed.",
      });
    }
    out.push({ op, terms: names.map((n) => ({ body: n, shown: `${op}${n} (in @${file})` })) });
  }
  return out;
}

type GlobToken = { kind: "star" } | { kind: "one" } | { kind: "char"; c: string } | { kind: "set"; negate: boolean; items: Array<[string, string]> };

/** Shell glob tokens: `*`, `?`, `[abc]`, `[a-z]`, `[!abc]`; an unclosed `[` is a plain character. */
function globTokens(glob: string): GlobToken[] {
  const out: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (out[out.length - 1]?.kind !== "star") out.push({ kind: "star" });
    } else if (c === "?") out.push({ kind: "one" });
    else if (c === "[") {
      const negate = glob[i + 1] === "!" || glob[i + 1] === "^";
      const from = i + 1 + (negate ? 1 : 0);
      const end = glob.indexOf("]", from + 1);
      if (end < 0) {
        out.push({ kind: "char", c });
        continue;
      }
      const body = glob.slice(from, end);
      const items: Array<[string, string]> = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === "-" && j + 2 < body.length) {
          items.push([body[j]!, body[j + 2]!]);
          j += 2;
        } else items.push([body[j]!, body[j]!]);
      }
      out.push({ kind: "set", negate, items });
      i = end;
    } else out.push({ kind: "char", c });
  }
  return out;
}

function tokenMatches(t: GlobToken, c: string): boolean {
  if (t.kind === "one") return true;
  if (t.kind === "char") return t.c === c;
  if (t.kind === "set") return t.items.some(([lo, hi]) => c >= lo && c <= hi) !== t.negate;
  return false;
}

/**
 * Whether `s` matches the glob. Matched by hand, not through a RegExp: a pattern like
 * `*a*a*a*a*b` would make a backtracking RegExp take exponential time; this is O(len(s) × len(glob)).
 */
function globMatch(tokens: GlobToken[], s: string): boolean {
  let ti = 0;
  let si = 0;
  let starT = -1;
  let starS = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t !== undefined && t.kind === "star") {
      starT = ti++;
      starS = si;
    } else if (t !== undefined && tokenMatches(t, s[si]!)) {
      ti++;
      si++;
    } else if (starT >= 0) {
      ti = starT + 1;
      si = ++starS;
    } else return false;
  }
  while (tokens[ti]?.kind === "star") ti++;
  return ti === tokens.length;
}

const isGlob = (s: string) => /[*?[]/.test(s);

/** The hosts one pattern names: all/*, a host, a group's members, or a glob over hosts and groups. */
function matchOne(names: FleetNames, body: string): string[] {
  if (body === "all") return [...names.hosts];
  const hosts = new Set(names.hosts);
  if (hosts.has(body)) return [body];
  const group = names.groups[body];
  if (group !== undefined) return [...group];
  if (!isGlob(body)) return [];
  const glob = globTokens(body);
  const out = names.hosts.filter((h) => globMatch(glob, h));
  for (const [g, members] of Object.entries(names.groups)) if (globMatch(glob, g)) out.push(...members);
  return out;
}

function listed(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(", ");
  return names.length > MAX_LISTED ? `${shown}, … (${names.length} in all)` : shown || "(none)";
}

function noMatch(message: string, names: FleetNames, subject: string, details: Record<string, unknown>): ZwhError {
  const groups = Object.keys(names.groups);
  return new ZwhError(FLEET.LIMIT_NOMATCH, message, {
    subject,
    hint: `Known hosts: ${listed(names.hosts)}. Groups: ${listed(groups)}. ${LIMIT_SYNTAX}`,
    details,
  });
}

/**
 * The hosts a --limit selects, in inventory order (undefined or "all": every host). `files` maps
 * each @FILE path (as written, see limitFileRefs) to its text. As in Ansible, the plain patterns
 * are united first (every host when there are none), then each &pattern intersects and each
 * !pattern removes. Throws ZWH-FLEET-LIMIT-NOMATCH naming every pattern that matches nothing, or
 * when the patterns together leave no host.
 */
export function selectHosts(names: FleetNames, limit: string | undefined, files: Readonly<Record<string, string>> = {}): string[] {
  if (limit === undefined) return [...names.hosts];
  const patterns = expand(limit, files);
  const unmatched: Term[] = [];
  const sets = patterns.map((p) => {
    const m = new Set<string>();
    for (const t of p.terms) {
      const hosts = matchOne(names, t.body);
      if (hosts.length === 0) unmatched.push(t);
      for (const h of hosts) m.add(h);
    }
    return { p, m };
  });
  if (unmatched.length > 0) {
    const all = [...names.hosts, ...Object.keys(names.groups)];
    const what = unmatched.map((u) => `'${u.shown}'${isGlob(u.body) ? "" : didYouMean(u.body, all)}`);
    throw noMatch(`--limit pattern${what.length > 1 ? "s" : ""} ${what.slice(0, MAX_LISTED).join(", ")} match${what.length > 1 ? "" : "es"} no host or group`, names, unmatched[0]!.shown, {
      unmatched: unmatched.map((u) => u.shown),
    });
  }
  const plain = sets.filter((s) => s.p.op === "");
  let chosen = new Set(plain.length > 0 ? plain.flatMap((s) => [...s.m]) : names.hosts);
  for (const s of sets.filter((x) => x.p.op === "&")) chosen = new Set([...chosen].filter((h) => s.m.has(h)));
  for (const s of sets.filter((x) => x.p.op === "!")) for (const h of s.m) chosen.delete(h);
  const out = names.hosts.filter((h) => chosen.has(h));
  if (out.length === 0) throw noMatch(`--limit '${limit}' selects no host: its patterns exclude or intersect away every host they name`, names, limit, { limit });
  return out;
}

// ---- --shard K/N ----

export interface Shard {
  k: number;
  n: number;
}

export const MAX_SHARDS = 1000;

/** `--shard K/N`: decimal digits, 1 <= K <= N <= 1000. */
export function parseShard(text: string): Shard {
  const m = /^([1-9][0-9]{0,3})\/([1-9][0-9]{0,3})$/.exec(text);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || k > n || n > MAX_SHARDS) {
    throw new ZwhError("ZWH-USAGE", `--shard '${text}' is not K/N with 1 <= K <= N <= ${MAX_SHARDS}`, {
      subject: "--shard",
      hint: "Give each controller its share as --shard 1/2, --shard 2/2 (decimal digits, no spaces); together they cover the fleet once.",
    });
  }
  return { k, n };
}

/**
 * The shard (1..n) a host belongs to: from sha256 of its name, so it depends on nothing else —
 * adding or removing a host never moves another between controllers, and every controller
 * computes the same split without talking to the others.
 */
export function shardOf(host: string, n: number): number {
  const h = createHash("sha256").update(host, "utf8").digest();
  // 48 bits mod n <= 1000: the bias is below 1e-11, and integers stay exact in a double.
  return (h.readUIntBE(0, 6) % n) + 1;
}

/** The hosts of shard k of n, in the given order. */
export function shardHosts(hosts: readonly string[], k: number, n: number): string[] {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 1 && k <= n)) throw new RangeError(`shard ${k}/${n}`);
  return hosts.filter((h) => shardOf(h, n) === k);
}

// ---- shared file systems ----

export interface SharedGroupPlan {
  group: string;
  /** Installs and activates for the group: its first member in rollout order among the run's hosts. */
  installer: string;
  /** The other members in the run, in rollout order: they verify the release and their own `current`. */
  verifiers: string[];
}

/**
 * For each shared file system with a member among `hosts` (the run's hosts in rollout order, i.e.
 * batch by batch): who installs and who verifies. Ordered by the installer's position.
 */
export function sharedGroupsFor(fleet: Pick<FleetFile, "sharedFilesystems">, hosts: readonly string[]): SharedGroupPlan[] {
  const pos = new Map(hosts.map((h, i) => [h, i] as const));
  const plans: SharedGroupPlan[] = [];
  for (const [group, members] of Object.entries(fleet.sharedFilesystems)) {
    const inRun = members.filter((m) => pos.has(m)).sort((a, b) => pos.get(a)! - pos.get(b)!);
    if (inRun.length > 0) plans.push({ group, installer: inRun[0]!, verifiers: inRun.slice(1) });
  }
  return plans.sort((a, b) => pos.get(a.installer)! - pos.get(b.installer)!);
}
