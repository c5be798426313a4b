import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { errorCode, handlerCtx, tmpDir } from "../support/unit";
import {
  keyIdOf, loadPrivateKey, loadPublicKey, parsePublicKey, publicKeyPem, toOpenSshPublicKey, writeKeyPair,
} from "../../src/bundle/signing/keys";
import generate from "../../src/cli/handlers/keys/generate";

const tmp = () => tmpDir("zwh-keys-");

const ctx = (args: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => handlerCtx(args, { env, json: true });

const codeOf = errorCode;

describe("key id", () => {
  it("is sha256 over the SPKI DER, identical to openssl's DER of the public key", () => {
    const dir = tmp();
    for (const type of ["ed25519", "ecdsa-p256"] as const) {
      const r = writeKeyPair(path.join(dir, type), { type });
      const der = execFileSync("openssl", ["pkey", "-pubin", "-in", r.publicKeyPath, "-outform", "DER"]);
      expect(r.keyid).toBe("sha256:" + crypto.createHash("sha256").update(der).digest("hex"));
      expect(r.keyid).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it("does not depend on the point encoding of a P-256 key (compressed input, same id)", () => {
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "p.pem"), publicKey.export({ type: "spki", format: "pem" }));
    const compressed = execFileSync("openssl", ["ec", "-pubin", "-in", path.join(dir, "p.pem"), "-conv_form", "compressed"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    const k2 = parsePublicKey(compressed);
    expect(keyIdOf(k2)).toBe(keyIdOf(publicKey));
  });
});

describe("writeKeyPair / zwh keys generate", () => {
  it("writes PKCS#8 0600 and SPKI PEM; never prints the private key", async () => {
    const dir = tmp();
    const res = await generate.run(ctx({ type: "ed25519", out: path.join(dir, "signer") }));
    expect(res.exitCode).toBe(0);
    const priv = fs.readFileSync(path.join(dir, "signer.key"), "utf8");
    expect(priv).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.statSync(path.join(dir, "signer.key")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, "signer.pub"), "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const shown = JSON.stringify(res.data) + res.text;
    expect(shown).not.toContain("PRIVATE KEY");
    const body = priv.split("\n").filter((l) => !l.startsWith("-----")).join("");
    expect(shown).not.toContain(body.slice(10, 40));
    expect(res.data.keyid).toBe(keyIdOf(loadPublicKey(path.join(dir, "signer.pub"))));
    expect(res.data.publicKeyPath).toBe(path.join(dir, "signer.pub"));
    expect(res.text).toContain(String(res.data.keyid));
    // The private key matches the public key.
    const sk = loadPrivateKey(path.join(dir, "signer.key"));
    expect(keyIdOf(sk)).toBe(res.data.keyid);
  });

  it("refuses to overwrite without --force, and --force replaces with mode 0600", async () => {
    const dir = tmp();
    const prefix = path.join(dir, "k");
    const first = await generate.run(ctx({ type: "ecdsa-p256", out: prefix }));
    await expect(generate.run(ctx({ type: "ecdsa-p256", out: prefix }))).rejects.toMatchObject({ code: "ZWH-KEY-EXISTS" });
    // Only the .pub existing is enough to refuse (never half-replace a pair).
    fs.rmSync(prefix + ".key");
    await expect(generate.run(ctx({ out: prefix }))).rejects.toMatchObject({ code: "ZWH-KEY-EXISTS" });
    fs.writeFileSync(prefix + ".key", "old", { mode: 0o644 });
    const second = await generate.run(ctx({ type: "ecdsa-p256", out: prefix, force: true }));
    expect(second.data.keyid).not.toBe(first.data.keyid);
    expect(fs.statSync(prefix + ".key").mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir).sort()).toEqual(["k.key", "k.pub"]);
  });

  it("encrypts the private key with --passphrase-env", async () => {
    const dir = tmp();
    const prefix = path.join(dir, "enc");
    const res = await generate.run(ctx({ out: prefix, passphraseEnv: "PW" }, { PW: "correct horse" }));
    expect(fs.readFileSync(prefix + ".key", "utf8")).toMatch(/BEGIN ENCRYPTED PRIVATE KEY/);
    expect(codeOf(() => loadPrivateKey(prefix + ".key"))).toBe("ZWH-KEY-ENCRYPTED");
    expect(codeOf(() => loadPrivateKey(prefix + ".key", { passphrase: "wrong" }))).toBe("ZWH-KEY-ENCRYPTED");
    expect(keyIdOf(loadPrivateKey(prefix + ".key", { passphrase: "correct horse" }))).toBe(res.data.keyid);
    await expect(generate.run(ctx({ out: path.join(dir, "x"), passphraseEnv: "UNSET" }))).rejects.toMatchObject({ code: "ZWH-KEY-USAGE" });
  });

  it("refuses unknown types", async () => {
    await expect(generate.run(ctx({ type: "rsa", out: path.join(tmp(), "x") }))).rejects.toMatchObject({ code: "ZWH-KEY-USAGE" });
  });
});

describe("OpenSSH interop (real ssh-keygen)", () => {
  for (const [sshType, bits] of [["ed25519", []], ["ecdsa", ["-b", "256"]]] as const) {
    it(`${sshType}: the .pub line and the PKCS8 export give the same key id; the private key file loads`, () => {
      const dir = tmp();
      const f = path.join(dir, "id");
      execFileSync("ssh-keygen", ["-q", "-t", sshType, ...bits, "-N", "", "-C", "alice@example", "-f", f]);
      const fromLine = loadPublicKey(f + ".pub");
      const blob = Buffer.from(fs.readFileSync(f + ".pub", "utf8").split(" ")[1], "base64");
      if (sshType === "ecdsa") {
        const pkcs8 = execFileSync("ssh-keygen", ["-e", "-m", "PKCS8", "-f", f + ".pub"]).toString();
        expect(keyIdOf(parsePublicKey(pkcs8))).toBe(keyIdOf(fromLine));
      } else {
        // ssh-keygen 9.2 cannot export Ed25519 as PKCS8; the raw key is the blob's last 32 bytes
        // and openssl builds the SPKI from it (RFC 8410 prefix + raw key).
        const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), blob.subarray(blob.length - 32)]);
        fs.writeFileSync(path.join(dir, "raw.der"), der);
        const viaOpenssl = execFileSync("openssl", ["pkey", "-pubin", "-inform", "DER", "-in", path.join(dir, "raw.der")]).toString();
        expect(keyIdOf(parsePublicKey(viaOpenssl))).toBe(keyIdOf(fromLine));
        expect(keyIdOf(fromLine)).toBe("sha256:" + crypto.createHash("sha256").update(der).digest("hex"));
      }
      const priv = loadPrivateKey(f);
      expect(keyIdOf(priv)).toBe(keyIdOf(fromLine));
      // Our OpenSSH rendering is what ssh-keygen wrote (minus comment).
      const line = fs.readFileSync(f + ".pub", "utf8").trim().split(" ").slice(0, 2).join(" ");
      expect(toOpenSshPublicKey(fromLine)).toBe(line);
      if (sshType === "ecdsa") {
        // And ssh-keygen reads our PEM back to the same key.
        fs.writeFileSync(path.join(dir, "ours.pem"), publicKeyPem(fromLine));
        const back = execFileSync("ssh-keygen", ["-i", "-m", "PKCS8", "-f", path.join(dir, "ours.pem")]).toString().trim();
        expect(back).toBe(line);
      }
    });
  }

  it("refuses passphrase-protected OpenSSH keys with a clear code", () => {
    const f = path.join(tmp(), "id");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-f", f]);
    expect(codeOf(() => loadPrivateKey(f))).toBe("ZWH-KEY-ENCRYPTED");
  });

  it("loads ssh-rsa public keys (for SSHSIG) but refuses short ones", () => {
    const dir = tmp();
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", path.join(dir, "rsa")]);
    expect(loadPublicKey(path.join(dir, "rsa.pub")).asymmetricKeyType).toBe("rsa");
    execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", path.join(dir, "rsa1k")]);
    expect(codeOf(() => loadPublicKey(path.join(dir, "rsa1k.pub")))).toBe("ZWH-KEY-UNSUPPORTED");
  });
});

describe("public key parsing errors", () => {
  it("private key where a public key is expected → ZWH-KEY-PRIVATE", () => {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    expect(codeOf(() => parsePublicKey(privateKey.export({ type: "pkcs8", format: "pem" }) as string))).toBe("ZWH-KEY-PRIVATE");
  });

  it("garbage, mismatched OpenSSH type, other curves", () => {
    expect(codeOf(() => parsePublicKey("hello"))).toBe("ZWH-KEY-FORMAT");
    const { publicKey } = crypto.generateKeyPairSync("ed25519");
    const line = toOpenSshPublicKey(publicKey);
    expect(codeOf(() => parsePublicKey(line.replace("ssh-ed25519", "ecdsa-sha2-nistp256")))).toBe("ZWH-KEY-FORMAT");
    const p384 = crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey;
    expect(codeOf(() => parsePublicKey(p384.export({ type: "spki", format: "pem" }) as string))).toBe("ZWH-KEY-UNSUPPORTED");
    expect(codeOf(() => loadPublicKey("/nonexistent/key.pub"))).toBe("ZWH-KEY-READ");
  });
});
