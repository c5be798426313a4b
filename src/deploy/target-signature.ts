/**
 * The bundle signature, checked ON THE TARGET against the target's own trust anchors
 * (<root>/.wheelhouse/trust.json and the allowed_signers file `zwh target trust` writes next to it).
 *
 * - DSSE (manifest.dsse.json): dsse_verify.py, a stdlib-only Ed25519/P-256 verifier.
 * - SSHSIG (manifest.intoto.json.sig): `ssh-keygen -Y verify -f allowed_signers -I <principal>
 *   -n <namespace> -s <sig> < manifest.intoto.json`, when `command -v ssh-keygen` finds it, once
 *   per SSH signer that DSSE does not already carry (a .sig file with several blocks is split into
 *   one file per block in staging). The principal is the target trust's name for the signer's key
 *   (sshPrincipal); a signer the target does not know is asked under the local trust's name, so
 *   the target's allowed_signers has the last word.
 * - dsse_verify.py then decides with both results (--ssh-verified/--ssh-failed): t-of-n over
 *   unique keys and the channel rules, the same order and codes as the local verifier.
 *
 * A bundle whose signatures can only be checked with ssh-keygen, on a target without it, is
 * refused (ZWH-DEPLOY-TARGET-SIGNATURE) with a hint. Every command is an argv (quote.ts).
 */
import { refusal, type ZwhError } from "../core/errors";
import { parseSshsig } from "../bundle/signing/sshsig";
import { parseTrust, type Trust } from "../bundle/signing/trust";
import { sshPrincipal } from "./trust";
import { parseJsonLine } from "../remote/json-line";
import type { BatchCommand, BatchResult, TargetOps } from "./target-ops";

const BLOCK = /-----BEGIN SSH SIGNATURE-----[\s\S]*?-----END SSH SIGNATURE-----/g;

/** The armoured SSHSIG blocks of a .sig file, each with a trailing newline. */
export function sshsigBlocks(text: string): string[] {
  return (text.match(BLOCK) ?? []).map((b) => b + "\n");
}

export interface TargetSignatureInput {
  /** The release directory holding manifest.intoto.json (+ .dsse.json, .sig as present). */
  rdir: string;
  hasEnvelope: boolean;
  /** Text of the bundle's manifest.intoto.json.sig, if it has one. */
  sshsigText?: string;
  channel: string;
  /** The local trust file the bundle was verified against (names of signers the target may not know). */
  localTrust: Trust;
  /** Keys whose DSSE signature verified locally: no need to ask ssh-keygen about them. */
  dsseKeyIds: ReadonlySet<string>;
  /** Path prefix for split SSHSIG blocks (`<prefix>.sshsig-<i>.sig`, in an existing staging directory). */
  scratchPrefix: string;
}

interface SshCandidate {
  principal: string;
  /** The principal names a key of the target's trust file (a failure then means a bad signature). */
  targetKnown: boolean;
  sigPath: string;
  block: string;
}

function refuse(ops: TargetOps, message: string, details: Record<string, unknown>, hint: string): ZwhError {
  return refusal("ZWH-DEPLOY-TARGET-SIGNATURE", message, { subject: ops.layout.trust, details, hint });
}

/**
 * Verify the signature on the target; `extra` commands (the re-hash) ride in the same exec.
 * Throws the refusal; returns the results of `extra`.
 */
export async function verifySignatureOnTarget(ops: TargetOps, a: TargetSignatureInput, extra: BatchCommand[]): Promise<BatchResult[]> {
  const host = ops.host;
  const statement = `${a.rdir}/manifest.intoto.json`;
  const verifier = ops.helperArgv("dsse_verify.py", ["--statement", statement, "--trust", ops.layout.trust, "--channel", a.channel]);
  if (a.hasEnvelope) verifier.push("--envelope", `${a.rdir}/manifest.dsse.json`);
  const blocks = sshsigBlocks(a.sshsigText ?? "");

  let ssh: { signatures: number; available: boolean; allowedSigners: boolean; verified: string[]; failed: string[]; asked: string[] } | undefined;
  let extraRes: BatchResult[];
  let verdict: BatchResult;
  if (blocks.length === 0) {
    const res = await ops.batch([verifier, ...extra], { label: "dsse_verify + hash" });
    verdict = res[0];
    extraRes = res.slice(1);
  } else {
    // The target's own anchors decide the principal and the namespace.
    let target: Trust;
    try {
      target = parseTrust(await ops.session.readFile(ops.layout.trust), ops.layout.trust);
    } catch (e) {
      throw refuse(ops, `the target ${host} has no usable trust anchors to check the bundle's SSH signature: ${(e as Error).message}`, {},
        "Install them with 'zwh target trust' (same target options and --root).");
    }
    const targetById = new Map(target.keys.map((k) => [k.keyid, k]));
    const localById = new Map(a.localTrust.keys.map((k) => [k.keyid, k]));
    const candidates: SshCandidate[] = [];
    const asked = new Set<string>();
    for (const [i, block] of blocks.entries()) {
      let keyid: string;
      try {
        keyid = parseSshsig(block).keyid;
      } catch {
        continue; // the local verifier already judged every block; an unparsable one counts for nothing
      }
      if (a.hasEnvelope && a.dsseKeyIds.has(keyid)) continue;
      const tk = targetById.get(keyid);
      const known = tk ?? localById.get(keyid);
      if (!known) continue;
      const principal = sshPrincipal(known);
      if (asked.has(principal)) continue;
      asked.add(principal);
      candidates.push({ principal, targetKnown: tk !== undefined, block, sigPath: blocks.length === 1 ? `${a.rdir}/manifest.intoto.json.sig` : `${a.scratchPrefix}.sshsig-${i}.sig` });
    }
    if (blocks.length > 1 && candidates.length) {
      await ops.writeTagged(candidates.map((c) => ({ path: c.sigPath, data: Buffer.from(c.block, "latin1"), kind: "text" as const })));
    }
    const checks: BatchCommand[] = [
      ["command", "-v", "ssh-keygen"],
      ["test", "-f", ops.layout.allowedSigners],
      ...candidates.map((c) => ({
        argv: ["ssh-keygen", "-Y", "verify", "-f", ops.layout.allowedSigners, "-I", c.principal, "-n", target.doc.sshNamespace, "-s", c.sigPath],
        stdinFile: statement,
      })),
    ];
    const res = await ops.batch([...checks, ...extra], { label: "ssh-keygen -Y verify + hash" });
    extraRes = res.slice(checks.length);
    const available = res[0].code === 0;
    const allowedSigners = res[1].code === 0;
    const outcome = candidates.map((c, i) => ({ c, ok: available && allowedSigners && res[2 + i].code === 0 }));
    ssh = {
      signatures: blocks.length, available, allowedSigners, asked: candidates.map((c) => c.principal),
      verified: outcome.filter((o) => o.ok).map((o) => o.c.principal),
      failed: available && allowedSigners ? outcome.filter((o) => !o.ok && o.c.targetKnown).map((o) => o.c.principal) : [],
    };
    verifier.push("--ssh-signatures", String(blocks.length));
    for (const p of ssh.verified) verifier.push("--ssh-verified", p);
    for (const p of ssh.failed) verifier.push("--ssh-failed", p);
    verdict = (await ops.batch([verifier], { label: "dsse_verify" }))[0];
  }

  const sig = parseJsonLine(verdict.stdout);
  if (verdict.code !== 0 || sig?.ok !== true) {
    const err = (sig?.error ?? {}) as Record<string, unknown>;
    const details = { targetVerifier: sig ?? null, exitCode: verdict.code, ...(ssh ? { ssh } : {}) };
    const why = `${String(err.code ?? "")} ${String(err.message ?? verdict.stdout.slice(-300))}`.trim();
    if (ssh && ssh.asked.length > 0 && !ssh.available) {
      throw refuse(ops, `the target ${host} refused the bundle signature: it carries SSH signatures and the target has no ssh-keygen to check them (${why})`, details,
        "Add a DSSE signature the target can check without ssh-keygen ('zwh bundle sign --key KEY'), or make OpenSSH's ssh-keygen available on the target's PATH.");
    }
    if (ssh && ssh.asked.length > 0 && !ssh.allowedSigners) {
      throw refuse(ops, `the target ${host} refused the bundle signature: ${ops.layout.allowedSigners} is missing, so its SSH signatures cannot be checked (${why})`, details,
        "Re-run 'zwh target trust' (same target options and --root): it writes allowed_signers next to trust.json.");
    }
    throw refuse(ops, `the target ${host} refused the bundle signature against its own trust anchors: ${why}`, details,
      "The target's trust anchors (installed with 'zwh target trust') must include enough of the bundle's signers for its channel.");
  }
  return extraRes;
}
