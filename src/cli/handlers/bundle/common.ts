/** Helpers shared by the bundle handlers. */
import { ZwhError } from "../../../core/errors";
import { parseDenyList, DenyList } from "../../../core/policy";
import { defaultTrustPath, loadTrust, loadPrivateKey, Trust } from "../../../bundle/signing";
import { BUNDLE } from "../../../bundle/codes";
import type { CommandContext } from "../../framework/types";
import { readInputFile } from "../../../io/input-file";

export function strArg(ctx: CommandContext, name: string, flag: string, required = false): string | undefined {
  const v = ctx.args[name];
  if (v === undefined || v === null || v === "") {
    if (required) throw new ZwhError(BUNDLE.USAGE, `${flag} is required`);
    return undefined;
  }
  if (typeof v !== "string") throw new ZwhError(BUNDLE.USAGE, `${flag} must be a string`);
  return v;
}

export function listArg(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== "");
}

export function passphraseFrom(ctx: CommandContext): string | undefined {
  const name = strArg(ctx, "passphraseEnv", "--passphrase-env");
  if (name === undefined) return undefined;
  const v = ctx.env[name];
  if (v === undefined || v === "") {
    throw new ZwhError(BUNDLE.USAGE, `environment variable ${name} (from --passphrase-env) is not set or empty`, { subject: name });
  }
  return v;
}

export function loadKeys(ctx: CommandContext, files: string[]) {
  const passphrase = passphraseFrom(ctx);
  return files.map((f) => loadPrivateKey(f, { passphrase }));
}

export function trustFrom(ctx: CommandContext, required: boolean): { trust: Trust; file: string } | undefined {
  const given = strArg(ctx, "trust", "--trust");
  if (!given && !required) return undefined;
  const file = given ?? defaultTrustPath(ctx.env);
  return { trust: loadTrust(file), file };
}

/** A local text file named by an option (regular file, size-capped: src/io/input-file.ts). */
export function readText(file: string, what: string): string {
  return readBytes(file, what).toString("utf8");
}

export function readBytes(file: string, what: string): Buffer {
  return readInputFile(file, {
    what,
    ioError: (e) => new ZwhError(BUNDLE.IO, `cannot read ${what} ${file}: ${e.code ?? e.message}`, { subject: file, cause: e }),
  });
}

export function denyFrom(ctx: CommandContext): { list: DenyList; text: string; file: string } | undefined {
  const file = strArg(ctx, "deny", "--deny");
  if (!file) return undefined;
  const text = readText(file, "deny list");
  return { list: parseDenyList(text, file), text, file };
}
