/**
 * Map ssh2, socket and SFTP errors to stable ZwhError codes, each naming host:port and saying
 * whether a retry can help (`transient`).
 *
 * | Code                        | When                                              | transient |
 * |-----------------------------|---------------------------------------------------|-----------|
 * | ZWH-SSH-UNREACHABLE         | ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ENOTFOUND | see below |
 * | ZWH-SSH-TIMEOUT             | handshake / connect / command timeout             | yes       |
 * | ZWH-SSH-DISCONNECTED        | ECONNRESET, EPIPE, connection lost mid-operation  | yes       |
 * | ZWH-SSH-AUTH                | all authentication methods failed                 | no        |
 * | ZWH-SSH-PASSWORD-EXPIRED    | FOTS1668 / password change request                | no        |
 * | ZWH-SSH-KEY                 | key file unreadable or not a key                  | no        |
 * | ZWH-SSH-KEY-PASSPHRASE      | encrypted key, missing or wrong passphrase        | no        |
 * | ZWH-SSH-HOSTKEY-UNKNOWN / -MISMATCH / -REVOKED (host-verify.ts)  | refused (exit 3) | no   |
 * | ZWH-SSH-HANDSHAKE           | no common algorithm, protocol error               | no        |
 * | ZWH-SFTP-NOT-FOUND          | SFTP status 2 (no such file)                      | no        |
 * | ZWH-SFTP-PERMISSION         | SFTP status 3 (permission denied)                 | no        |
 * | ZWH-SFTP-FAILURE            | other SFTP failures (status 4 = EEXIST, ENOSPC...) | no       |
 *
 * UNREACHABLE: "connection refused" (no sshd on that port) and "host not found" (DNS) are
 * permanent-ish: retrying in a loop rarely helps, so they are transient=false. EHOSTUNREACH /
 * ENETUNREACH / EAI_AGAIN are routing or resolver blips and are transient=true.
 */
import { ZwhError } from "../core/errors";

export interface SshErrorContext {
  host: string;
  port: number;
  /** What was going on, e.g. "connect", "exec", "upload /u/x/a.whl". */
  operation?: string;
  /** Auth methods attempted so far (for ZWH-SSH-AUTH). */
  methodsTried?: string[];
}

function hp(ctx: SshErrorContext): string {
  return `${ctx.host}:${ctx.port}`;
}

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === "string" ? c : undefined;
}

const SFTP_STATUS: Record<number, string> = {
  1: "EOF",
  2: "NO_SUCH_FILE",
  3: "PERMISSION_DENIED",
  4: "FAILURE",
  5: "BAD_MESSAGE",
  6: "NO_CONNECTION",
  7: "CONNECTION_LOST",
  8: "OP_UNSUPPORTED",
};

/** SFTP status error (ssh2 sets a numeric `code`) → ZWH-SFTP-*. Returns undefined if not one. */
export function classifySftpError(e: unknown, ctx: SshErrorContext, path?: string): ZwhError | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "number") return undefined;
  const msg = e instanceof Error ? e.message : String(e);
  const what = `${ctx.operation ?? "sftp"}${path ? " " + path : ""} on ${hp(ctx)}`;
  const details = { host: ctx.host, port: ctx.port, path, sftpStatus: SFTP_STATUS[code] ?? code };
  switch (code) {
    case 2:
      return new ZwhError("ZWH-SFTP-NOT-FOUND", `${what}: no such file or directory`, {
        subject: path ?? hp(ctx), details, cause: e,
        hint: "Check the path; parent directories must exist (use mkdirp first).",
      });
    case 3:
      return new ZwhError("ZWH-SFTP-PERMISSION", `${what}: permission denied`, {
        subject: path ?? hp(ctx), details, cause: e,
        hint: "The z/OS user needs write access to the directory (and the file, if it exists).",
      });
    case 6:
    case 7:
      return new ZwhError("ZWH-SSH-DISCONNECTED", `${what}: connection lost (${msg})`, {
        subject: hp(ctx), details, transient: true, cause: e,
        hint: "The SSH connection dropped; retry.",
      });
    default:
      return new ZwhError("ZWH-SFTP-FAILURE", `${what} failed: ${msg}`, {
        subject: path ?? hp(ctx), details, cause: e,
        hint: "Common causes: the file already exists, the file system is full or read-only.",
      });
  }
}

/** Classify anything thrown by the transport into a ZwhError. ZwhErrors pass through. */
export function classifySshError(e: unknown, ctx: SshErrorContext): ZwhError {
  if (e instanceof ZwhError) return e;
  const sftp = classifySftpError(e, ctx);
  if (sftp) return sftp;
  const msg = e instanceof Error ? e.message : String(e);
  const code = errCode(e);
  const level = (e as { level?: unknown })?.level;
  const at = hp(ctx);
  const op = ctx.operation ? ` during ${ctx.operation}` : "";
  const details: Record<string, unknown> = { host: ctx.host, port: ctx.port };
  if (code) details.errno = code;

  switch (code) {
    case "ECONNREFUSED":
      return new ZwhError("ZWH-SSH-UNREACHABLE", `connection to ${at} refused${op}: no SSH server is listening there`, {
        subject: at, details, transient: false, cause: e,
        hint: "Check --host/--port and that z/OS OpenSSH (sshd) is running. Retrying will not help until it is.",
      });
    case "ENOTFOUND":
      return new ZwhError("ZWH-SSH-UNREACHABLE", `host ${ctx.host} cannot be resolved (${at})`, {
        subject: at, details, transient: false, cause: e,
        hint: "Check the host name (DNS). Retrying will not help until the name resolves.",
      });
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
      return new ZwhError("ZWH-SSH-UNREACHABLE", `${at} is unreachable${op} (${code})`, {
        subject: at, details, transient: true, cause: e,
        hint: "Network or resolver problem between this workstation and the host; retry later or check routing/VPN.",
      });
    case "ETIMEDOUT":
      return new ZwhError("ZWH-SSH-TIMEOUT", `connecting to ${at} timed out${op}`, {
        subject: at, details, transient: true, cause: e,
        hint: "The host did not answer. Check firewalls; raise --handshake-timeout for slow links.",
      });
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return new ZwhError("ZWH-SSH-DISCONNECTED", `connection to ${at} was reset${op}`, {
        subject: at, details, transient: true, cause: e,
        hint: "The connection dropped (network, sshd restart or MaxStartups throttling); retry.",
      });
  }

  if (/Timed out while waiting for handshake/i.test(msg)) {
    return new ZwhError("ZWH-SSH-TIMEOUT", `SSH handshake with ${at} timed out`, {
      subject: at, details, transient: true, cause: e,
      hint: "The server accepted TCP but did not complete the SSH handshake in time (overloaded sshd, MaxStartups, or not an SSH port). Raise --handshake-timeout or retry.",
    });
  }
  if (/keepalive timeout/i.test(msg)) {
    return new ZwhError("ZWH-SSH-DISCONNECTED", `connection to ${at} stopped answering keepalives${op}`, {
      subject: at, details, transient: true, cause: e, hint: "The network path or host stalled; retry.",
    });
  }
  if (level === "client-authentication" || /All configured authentication methods failed/i.test(msg)) {
    const tried = ctx.methodsTried && ctx.methodsTried.length > 0 ? ctx.methodsTried.join(", ") : "none";
    return new ZwhError("ZWH-SSH-AUTH", `authentication to ${at} failed (methods tried: ${tried})`, {
      subject: at, details: { ...details, methodsTried: ctx.methodsTried ?? [] }, cause: e,
      hint: "Check --user and the credentials: the public key must be in ~/.ssh/authorized_keys of the z/OS user, or give --password-env.",
    });
  }
  if (/FOTS1668|password.*expired|change password/i.test(msg)) {
    return passwordExpired(ctx, e);
  }
  if (/no matching|handshake failed|Bad packet|Invalid packet|protocol/i.test(msg) || level === "protocol" || level === "handshake") {
    return new ZwhError("ZWH-SSH-HANDSHAKE", `SSH handshake with ${at} failed: ${msg}`, {
      subject: at, details, cause: e,
      hint: "The server and Wheelhouse share no key-exchange, cipher or host-key algorithm, or the port is not an SSH server.",
    });
  }
  if (/Not connected|No response from server|socket.*(closed|ended)|Connection lost|Channel.*close|connection.*closed/i.test(msg)) {
    return new ZwhError("ZWH-SSH-DISCONNECTED", `connection to ${at} was lost${op}: ${msg}`, {
      subject: at, details, transient: true, cause: e, hint: "Retry; check the host's sshd and network.",
    });
  }
  if (/Channel open failure|open failed/i.test(msg)) {
    return new ZwhError("ZWH-SSH-CHANNEL", `${at} refused to open a channel${op}: ${msg}`, {
      subject: at, details, transient: true, cause: e,
      hint: "sshd MaxSessions or the user's process limit (MAXPROCUSER) was reached; retry with fewer parallel operations.",
    });
  }
  return new ZwhError("ZWH-SSH-ERROR", `SSH error with ${at}${op}: ${msg}`, { subject: at, details, cause: e });
}

export function passwordExpired(ctx: SshErrorContext, cause?: unknown): ZwhError {
  const at = hp(ctx);
  return new ZwhError("ZWH-SSH-PASSWORD-EXPIRED", `the password of the z/OS user on ${at} has expired (FOTS1668)`, {
    subject: at, details: { host: ctx.host, port: ctx.port }, cause,
    hint: "Log on interactively (ssh or TSO) to set a new password, then retry with the new one.",
  });
}
