/**
 * Deploy test support: signing keys + trust files, sample wheel sets, signed bundles built
 * through the real bundle layer (createBundle), the target env from a real probe, a recording
 * Output, and an in-test inventory.
 */
import { createHash } from "crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { createBundle, type CreatedBundle } from "../../src/bundle/create";
import type { BundleTarget } from "../../src/bundle/statement";
import { targetFromProbe } from "../../src/bundle/target";
import { addTrustKey, createTrust, saveTrust, serializeTrust, type TrustDocument } from "../../src/bundle/signing/trust";
import { generateSigningKeyPair, publicKeyPem, type GeneratedKeyPair } from "../../src/bundle/signing/keys";
import type { Output } from "../../src/cli/framework/types";
import { openStore, type InventoryStore } from "../../src/inventory";
import { connectTarget } from "../../src/remote/connection";
import { probeTarget } from "../../src/remote/probe";
import type { TargetSpec } from "../../src/remote/target";
import type { SimHost } from "../sim";
import { buildWheel, type WheelSpec } from "./wheels";

export interface Signer {
  key: GeneratedKeyPair;
  trustFile: string;
  trust: TrustDocument;
}

export function makeSigner(dir: string, name = "release-bot", channels = ["stable"]): Signer {
  mkdirSync(dir, { recursive: true });
  const key = generateSigningKeyPair("ed25519");
  const base = createTrust({ channels });
  const { doc } = addTrustKey(base, { publicKey: publicKeyPem(key.publicKey), name });
  const trustFile = join(dir, `${name}-trust.json`);
  saveTrust(trustFile, doc);
  return { key, trustFile, trust: doc };
}

export function writeTrust(file: string, doc: TrustDocument): string {
  writeFileSync(file, serializeTrust(doc));
  return file;
}

export function specFor(h: SimHost, extra: Partial<TargetSpec> = {}): TargetSpec {
  return { host: h.host, port: h.port, user: h.user, identityFile: h.identityFile, knownHostsFile: h.knownHostsFile, pythonPath: h.pythonPath, ...extra };
}

export function argsFor(h: SimHost, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { host: h.host, port: h.port, user: h.user, identity: h.identityFile, knownHosts: h.knownHostsFile, python: h.pythonPath, ...extra };
}

export async function simTarget(h: SimHost): Promise<BundleTarget> {
  const s = await connectTarget(specFor(h));
  try {
    return targetFromProbe(await probeTarget(s, { pythonPath: h.pythonPath }));
  } finally {
    await s.close();
  }
}

/** Deterministic, incompressible text (hex of a sha256 chain), so equal input gives equal wheels. */
export function noise(bytes: number): string {
  const parts: string[] = [];
  let h = createHash("sha256").update("zwh").digest();
  let len = 0;
  while (len < bytes) {
    h = createHash("sha256").update(h).digest();
    const s = h.toString("base64");
    parts.push(s);
    len += s.length;
  }
  return parts.join("").slice(0, bytes);
}

/** A small app with a dependency chain: app -> lib -> util (all pure Python). */
export function sampleWheels(version: { app?: string; lib?: string; util?: string } = {}, padKiB = 0): WheelSpec[] {
  const pad: Record<string, string> = padKiB > 0 ? { "zwhdemo_util/blob.py": `DATA = ${JSON.stringify(noise(padKiB * 1024))}\n` } : {};
  const util = version.util ?? "1.0";
  const lib = version.lib ?? "1.0";
  const app = version.app ?? "1.0";
  return [
    { name: "zwhdemo-util", version: util, files: { "zwhdemo_util/__init__.py": `VERSION = "${util}"\n`, ...pad } },
    { name: "zwhdemo-lib", version: lib, requiresDist: ["zwhdemo-util>=1.0"], files: { "zwhdemo_lib/__init__.py": `from zwhdemo_util import VERSION as UTIL\nVERSION = "${lib}"\n` } },
    { name: "zwhdemo-app", version: app, requiresDist: ["zwhdemo-lib>=1.0"], files: { "zwhdemo_app/__init__.py": `import zwhdemo_lib\nVERSION = "${app}"\n` } },
  ];
}

export async function makeBundle(
  work: string,
  opts: { id: string; sequence: number; target: BundleTarget; signer: Signer; wheels: WheelSpec[]; channel?: string; requirements?: string[] },
): Promise<CreatedBundle> {
  const wheelDir = mkdtempSync(join(work, "wheels-"));
  for (const w of opts.wheels) await buildWheel(wheelDir, w);
  const outDir = join(work, `bundle-${opts.id}-${opts.sequence}-${Math.random().toString(36).slice(2, 8)}`);
  return createBundle({
    wheelDir, outDir, bundleId: opts.id, channel: opts.channel ?? "stable", sequence: opts.sequence, target: opts.target,
    requirements: opts.requirements ?? ["zwhdemo-app"], signKeys: [opts.signer.key.privateKey],
  });
}

/**
 * A fresh SQLite inventory in dir, opened (and migrated) on first use, so option builders can
 * hand it out synchronously. Every method is async, as on the real store.
 */
export function newInventory(dir: string): InventoryStore {
  const opened = openStore(join(dir, `inv-${Math.random().toString(36).slice(2, 8)}.db`));
  opened.catch(() => undefined);
  return new Proxy({} as InventoryStore, {
    get: (_t, key: string | symbol) => {
      if (key === "then") return undefined; // not a thenable
      return async (...args: unknown[]) => {
        const s = (await opened) as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
        return s[key]!(...args);
      };
    },
  });
}

export interface RecordingOutput extends Output {
  infos: string[];
  warns: string[];
  steps: string[];
}

export function recordingOutput(): RecordingOutput {
  const o: RecordingOutput = {
    infos: [], warns: [], steps: [],
    info: (m: string) => void o.infos.push(m),
    warn: (m: string) => void o.warns.push(m),
    progress: {
      async step<T>(title: string, fn: (s: { update(m: string): void }) => Promise<T>): Promise<T> {
        o.steps.push(title);
        return fn({ update: (m) => void o.steps.push(`  ${m}`) });
      },
    },
  };
  return o;
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
