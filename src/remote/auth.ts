/**
 * Authentication, in the Zowe ssh order: private key → ssh-agent → password.
 *
 * The key is parsed BEFORE connecting so a wrong passphrase or an unreadable file is reported
 * as such (ZWH-SSH-KEY-PASSPHRASE / ZWH-SSH-KEY) instead of as a generic auth failure. The
 * ssh2 `authHandler` records every method it offers, so ZWH-SSH-AUTH can name them.
 */
import { utils as ssh2utils } from "ssh2";
import { ZwhError } from "../core/errors";
import type { TargetSpec } from "./target";
import { INPUT_LIMITS, readInputFile } from "../io/input-file";

export type AuthMethodName = "publickey" | "agent" | "password" | "keyboard-interactive";

export interface PreparedAuth {
  /** Methods to try, in order. */
  plan: AuthMethodName[];
  privateKey?: Buffer;
  passphrase?: string;
  agent?: string;
  password?: string;
}

function keyLabel(spec: TargetSpec): string {
  return spec.identityFile ?? "the private key given in the profile";
}

/** Load and check the private key; decide which methods to try. */
export function prepareAuth(spec: TargetSpec, env: NodeJS.ProcessEnv = process.env): PreparedAuth {
  const out: PreparedAuth = { plan: [] };
  let key: Buffer | undefined;
  if (spec.privateKey !== undefined) {
    key = Buffer.isBuffer(spec.privateKey) ? spec.privateKey : Buffer.from(spec.privateKey, "utf8");
  } else if (spec.identityFile) {
    const file = spec.identityFile;
    key = readInputFile(file, {
      what: "private key file",
      maxBytes: INPUT_LIMITS.small,
      ioError: (e) => new ZwhError("ZWH-SSH-KEY", `cannot read private key file ${file}: ${e.code ?? e.message}`, {
        subject: file,
        hint: "Check the --identity path and that this user can read it.",
        cause: e,
      }),
    });
  }
  if (key) {
    const parsed = ssh2utils.parseKey(key, spec.passphrase);
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    if (first instanceof Error || first === undefined) {
      const msg = first instanceof Error ? first.message : "no key found";
      if (/passphrase|decrypt|integrity check/i.test(msg)) {
        const missing = /no passphrase given/i.test(msg);
        throw new ZwhError(
          "ZWH-SSH-KEY-PASSPHRASE",
          missing
            ? `the private key ${keyLabel(spec)} is encrypted and no passphrase was given`
            : `the passphrase for the private key ${keyLabel(spec)} is wrong`,
          {
            subject: spec.identityFile,
            hint: "Put the passphrase in an environment variable and name it with --passphrase-env (or load the key into ssh-agent).",
          },
        );
      }
      throw new ZwhError("ZWH-SSH-KEY", `${keyLabel(spec)} is not a usable private key: ${msg}`, {
        subject: spec.identityFile,
        hint: "Give an OpenSSH or PEM private key (not the .pub file).",
      });
    }
    if (!first.isPrivateKey()) {
      throw new ZwhError("ZWH-SSH-KEY", `${keyLabel(spec)} is a public key, not a private key`, {
        subject: spec.identityFile,
        hint: "Point --identity at the private key file (without .pub).",
      });
    }
    out.privateKey = key;
    out.passphrase = spec.passphrase;
    out.plan.push("publickey");
  }
  // TargetSpec contract: an explicit agent socket is always tried (after the key); SSH_AUTH_SOCK
  // only when neither a key nor a password was given.
  const agent = spec.agent ?? (key === undefined && spec.password === undefined ? env.SSH_AUTH_SOCK : undefined);
  if (agent) {
    out.agent = agent;
    out.plan.push("agent");
  }
  if (spec.password !== undefined) {
    out.password = spec.password;
    out.plan.push("password", "keyboard-interactive");
  }
  if (out.plan.length === 0) {
    throw new ZwhError("ZWH-SSH-AUTH", `no authentication method is available for ${spec.user}@${spec.host}:${spec.port}`, {
      subject: `${spec.host}:${spec.port}`,
      hint: "Give --identity KEYFILE, start ssh-agent (SSH_AUTH_SOCK), or --password-env VAR.",
      details: { methodsTried: [] },
    });
  }
  return out;
}

/** A password-expired prompt from z/OS (FOTS1668) or a generic "expired" prompt. */
export function looksExpired(text: string): boolean {
  return /FOTS1668|password (has )?expired/i.test(text);
}

/** The auth objects this handler produces (a subset of ssh2's AuthenticationType). */
type AuthStep = { type: string; username: string; [k: string]: unknown };
type NextAuth = (next: AuthStep | false) => void;
type AuthHandler = (methodsLeft: string[] | null, partialSuccess: boolean | null, next: NextAuth) => void;

/**
 * An ssh2 authHandler following `prep.plan`. `tried` receives each method actually offered to
 * the server; `onExpired` is called when a keyboard-interactive prompt says the password expired.
 */
export function makeAuthHandler(user: string, prep: PreparedAuth, tried: string[], onExpired: () => void): AuthHandler {
  const queue = [...prep.plan];
  return (methodsLeft, _partial, next) => {
    while (queue.length > 0) {
      const m = queue.shift()!;
      // The server lists the methods that can continue; "agent" is publickey on the wire.
      const wire = m === "agent" ? "publickey" : m;
      if (methodsLeft && !methodsLeft.includes(wire)) continue;
      if (m === "keyboard-interactive" && tried.includes("password") && methodsLeft === null) continue;
      tried.push(m);
      switch (m) {
        case "publickey":
          return next({ type: "publickey", username: user, key: prep.privateKey!, passphrase: prep.passphrase });
        case "agent":
          return next({ type: "agent", username: user, agent: prep.agent! });
        case "password":
          return next({ type: "password", username: user, password: prep.password! });
        case "keyboard-interactive":
          return next({
            type: "keyboard-interactive",
            username: user,
            prompt: (_name: string, instructions: string, _lang: string, prompts: Array<{ prompt: string }>, finish: (answers: string[]) => void) => {
              const text = [instructions, ...prompts.map((p) => p.prompt)].join("\n");
              if (looksExpired(text)) {
                onExpired();
                return finish([]);
              }
              finish(prompts.map((p) => (/password|passphrase|passcode/i.test(p.prompt) ? prep.password! : "")));
            },
          });
      }
    }
    next(false);
  };
}
