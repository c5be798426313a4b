/**
 * Test bundles: good ones built with the real `createBundle`, and hostile ones assembled with
 * the same internals (statement serializer, lock generator, DSSE signing) but WITHOUT create's
 * checks, then mutated. Nothing binary is committed: every wheel comes from buildWheel().
 *
 *   const keys = makeKeys(2); const trust = makeTrust(keys);
 *   const dir = await goodBundle(root, { keys });                       // app → lib, signed
 *   const dir = await assembleBundle(root, "x", [paths...], { keys, ... }) // no checks at all
 *   await reseal(dir, { keys, mutate: (p) => { p.sequence = 9; } })     // re-lock, re-subject, re-sign
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildWheel, WheelSpec } from "./wheels";
import { inspectWheel } from "../../src/bundle/wheel-verify";
import { parseWheelFilename } from "../../src/core/wheel-filename";
import { normalizeName } from "../../src/core/names";
import { generateLockfile } from "../../src/core/lockfile";
import { createBundle, CreateBundleOptions, signAll, envelopeBytes } from "../../src/bundle/create";
import { wheelEntryFromFacts } from "../../src/bundle/checks";
import { zosTarget } from "../../src/bundle/target";
import {
  BundlePredicate, BundleStatement, BundleWheel, DEFAULT_PIP_FLAGS, DSSE_FILE, LOCK_FILE, PREDICATE_TYPE, SBOM_FILE, STATEMENT_FILE, STATEMENT_TYPE,
  WHEELS_DIR, parseStatement, serializeStatement, sortWheels, wheelSubjectName,
} from "../../src/bundle/statement";
import { addTrustKey, createTrust, generateSigningKeyPair, parseTrust, publicKeyPem, Trust } from "../../src/bundle/signing";

export interface TestKey {
  name: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

export function makeKeys(n: number, prefix = "signer"): TestKey[] {
  return Array.from({ length: n }, (_, i) => {
    const pair = generateSigningKeyPair(i % 2 ? "ecdsa-p256" : "ed25519");
    return { name: `${prefix}-${i + 1}`, privateKey: pair.privateKey, publicKey: pair.publicKey };
  });
}

export function makeTrust(keys: TestKey[], opts: { threshold?: number; channels?: string[]; sshKeys?: Array<{ name: string; line: string }> } = {}): Trust {
  let doc = createTrust({ threshold: opts.threshold ?? 1, channels: opts.channels ?? ["stable", "test"] });
  for (const k of keys) doc = addTrustKey(doc, { publicKey: publicKeyPem(k.publicKey), name: k.name, now: new Date(0) }).doc;
  for (const s of opts.sshKeys ?? []) doc = addTrustKey(doc, { publicKey: s.line, name: s.name, now: new Date(0) }).doc;
  return parseTrust(doc, "test trust");
}

export const TARGET = zosTarget("3.12", "os390-29.00-8561");
export const NOW = new Date("2026-06-01T00:00:00Z");

/** app 1.0 (requires lib>=1) and lib 1.0, both py3-none-any. */
export const GOOD_WHEELS: WheelSpec[] = [
  { name: "app", version: "1.0", requiresDist: ["lib>=1"], requiresPython: ">=3.9" },
  { name: "lib", version: "1.0" },
];

let seq = 0;
function fresh(root: string, label: string): string {
  const d = path.join(root, `${label}-${++seq}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** A bundle made by the real createBundle (every check ran). */
export async function goodBundle(root: string, opts: Partial<CreateBundleOptions> & { keys?: TestKey[]; wheels?: WheelSpec[] } = {}): Promise<string> {
  const base = fresh(root, "good");
  const wheelDir = path.join(base, "in");
  for (const s of opts.wheels ?? GOOD_WHEELS) await buildWheel(wheelDir, s);
  const { keys, wheels: _w, ...rest } = opts;
  const r = await createBundle({
    wheelDir,
    outDir: path.join(base, "bundle"),
    bundleId: "demo-1",
    channel: "stable",
    sequence: 5,
    expires: "30d",
    now: NOW,
    target: TARGET,
    requirements: ["app"],
    signKeys: (keys ?? []).map((k) => k.privateKey),
    ...rest,
  });
  return r.dir;
}

export interface AssembleOptions {
  keys?: TestKey[];
  channel?: string;
  sequence?: number;
  expires?: string;
  requirements?: string[];
  denyRules?: string[];
  target?: typeof TARGET;
  startupHooks?: string[];
}

/** Facts for any file, hostile or not: from the verifier when it got that far, else from the name. */
async function entryFor(file: string): Promise<BundleWheel> {
  const filename = path.basename(file);
  const bytes = fs.readFileSync(file);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  if (filename.endsWith(".whl")) {
    const r = await inspectWheel(file);
    if (r.facts) return wheelEntryFromFacts(r.facts);
    const fn = parseWheelFilename(filename);
    return { filename, name: fn.normalizedName, version: fn.version, sha256, size: bytes.length, tags: fn.tags, recordSha256: "0".repeat(64), requiresPython: null, requiresDist: [], members: { count: 0, sha256: "0".repeat(64) } };
  }
  const m = /^(.+?)-(\d[^-]*?)(\.tar\.gz|\.zip|\.tgz)$/.exec(filename);
  return { filename, name: normalizeName(m ? m[1] : filename), version: m ? m[2] : "0", sha256, size: bytes.length, tags: ["py3-none-any"], recordSha256: "0".repeat(64), requiresPython: null, requiresDist: [], members: { count: 0, sha256: "0".repeat(64) } };
}

/** Lock text even for sets create would refuse (duplicates: one line per wheel). */
function lockFor(wheels: BundleWheel[]): string {
  try {
    return generateLockfile(wheels);
  } catch {
    return sortWheels(wheels).map((w) => `${w.name}==${w.version} --hash=sha256:${w.sha256}\n`).join("");
  }
}

/** Build a bundle from files with none of create's checks, signed with `keys`. */
export async function assembleBundle(root: string, label: string, files: string[], o: AssembleOptions = {}): Promise<string> {
  const dir = path.join(fresh(root, label), "bundle");
  fs.mkdirSync(path.join(dir, WHEELS_DIR), { recursive: true });
  const wheels: BundleWheel[] = [];
  for (const f of files) {
    fs.copyFileSync(f, path.join(dir, WHEELS_DIR, path.basename(f)));
    wheels.push(await entryFor(path.join(dir, WHEELS_DIR, path.basename(f))));
  }
  const predicate: BundlePredicate = {
    bundleId: "hostile-1",
    channel: o.channel ?? "stable",
    sequence: o.sequence ?? 5,
    createdAt: NOW.toISOString(),
    expires: o.expires ?? new Date(NOW.getTime() + 30 * 86400e3).toISOString(),
    target: o.target ?? TARGET,
    requirements: o.requirements ?? [],
    wheels: sortWheels(wheels),
    policy: { onlyBinary: true, denyList: { sha256: null, rules: o.denyRules ?? [] }, onePerProject: true, startupHooks: o.startupHooks ?? [] },
    pip: { flags: [...DEFAULT_PIP_FLAGS] },
  };
  fs.writeFileSync(path.join(dir, LOCK_FILE), lockFor(predicate.wheels));
  writeStatement(dir, predicate, o.keys ?? []);
  return dir;
}

/** Hash the files, write the statement and (re)sign it; no keys = no manifest.dsse.json. */
export function writeStatement(dir: string, predicate: BundlePredicate, keys: TestKey[]): Buffer {
  const hash = (rel: string) => crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, rel))).digest("hex");
  const statement: BundleStatement = {
    _type: STATEMENT_TYPE,
    predicateType: PREDICATE_TYPE,
    subject: [LOCK_FILE, ...(fs.existsSync(path.join(dir, SBOM_FILE)) ? [SBOM_FILE] : []), ...predicate.wheels.map((w) => wheelSubjectName(w.filename))]
      .map((name) => ({ name, digest: { sha256: hash(name) } })),
    predicate,
  };
  const bytes = serializeStatement(statement);
  fs.writeFileSync(path.join(dir, STATEMENT_FILE), bytes);
  const env = signAll(bytes, keys.map((k) => k.privateKey));
  if (env) fs.writeFileSync(path.join(dir, DSSE_FILE), envelopeBytes(env));
  else fs.rmSync(path.join(dir, DSSE_FILE), { force: true });
  return bytes;
}

/**
 * Change a bundle the way a (compromised or careless) signer would: mutate the predicate,
 * regenerate the lock unless `keepLock`, recompute the subjects from the files and re-sign.
 */
export function reseal(dir: string, o: { keys: TestKey[]; mutate?: (p: BundlePredicate) => void; keepLock?: boolean }): Buffer {
  const st = parseStatement(fs.readFileSync(path.join(dir, STATEMENT_FILE)));
  o.mutate?.(st.predicate);
  if (!o.keepLock) fs.writeFileSync(path.join(dir, LOCK_FILE), lockFor(st.predicate.wheels));
  return writeStatement(dir, st.predicate, o.keys);
}

/** Replace the named wheel in the bundle by another file (same or new name), then reseal. */
export async function swapWheel(dir: string, oldFilename: string, newFile: string, keys: TestKey[]): Promise<void> {
  fs.rmSync(path.join(dir, WHEELS_DIR, oldFilename));
  const target = path.join(dir, WHEELS_DIR, path.basename(newFile));
  fs.copyFileSync(newFile, target);
  const entry = await entryFor(target);
  reseal(dir, { keys, mutate: (p) => { p.wheels = sortWheels([...p.wheels.filter((w) => w.filename !== oldFilename), entry]); } });
}

export function statementText(dir: string): string {
  return fs.readFileSync(path.join(dir, STATEMENT_FILE), "utf8");
}
