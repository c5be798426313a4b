/** zwh keys generate: write PREFIX.key (PKCS#8, 0600) and PREFIX.pub (SPKI PEM). */
import * as fs from "node:fs";
import * as path from "node:path";
import { ZwhError } from "../../../core/errors";
import { KEY } from "../../../bundle/signing/codes";
import { SIGNING_KEY_TYPES, SigningKeyType, writeKeyPair } from "../../../bundle/signing/keys";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const type = (ctx.args.type ?? "ed25519") as string;
  if (!SIGNING_KEY_TYPES.includes(type as SigningKeyType)) {
    throw new ZwhError(KEY.USAGE, `unknown key type '${type}'`, { hint: `Use --type ${SIGNING_KEY_TYPES.join(" or --type ")}.` });
  }
  const out = ctx.args.out;
  if (typeof out !== "string" || out === "" || out.endsWith("/")) {
    throw new ZwhError(KEY.USAGE, "--out PREFIX is required (a path prefix, not a directory)", {
      hint: "Example: --out ~/.zwh/release-signer writes release-signer.key and release-signer.pub.",
    });
  }
  let passphrase: string | undefined;
  if (ctx.args.passphraseEnv !== undefined) {
    const name = String(ctx.args.passphraseEnv);
    passphrase = ctx.env[name];
    if (passphrase === undefined || passphrase === "") {
      throw new ZwhError(KEY.USAGE, `environment variable ${name} (from --passphrase-env) is not set or empty`, {
        subject: name,
        hint: `Export ${name} with the passphrase first, or omit --passphrase-env for an unencrypted key.`,
      });
    }
  }
  // A new key directory is private: it will hold private keys.
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true, mode: 0o700 });
  const r = writeKeyPair(out, { type: type as SigningKeyType, force: ctx.args.force === true, passphrase });
  const data = {
    keyid: r.keyid,
    type: r.type,
    privateKeyPath: r.privateKeyPath,
    publicKeyPath: r.publicKeyPath,
    encrypted: passphrase !== undefined,
    publicKeyOpenSsh: r.publicKeyOpenSsh,
  };
  const text = [
    `Generated ${r.type} key ${r.keyid}`,
    `  private key: ${r.privateKeyPath} (mode 0600${passphrase !== undefined ? ", encrypted" : ""}; keep it secret)`,
    `  public key:  ${r.publicKeyPath}`,
    `Trust it with: zwh trust add-key --key ${r.publicKeyPath} --name NAME`,
  ].join("\n");
  return { exitCode: 0, data, text };
}

const handler: HandlerModule = { run };
export default handler;
