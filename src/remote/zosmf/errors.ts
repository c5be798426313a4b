/**
 * z/OSMF failures as stable ZwhError codes, each naming https://host:port and what to do.
 *
 * | Code                        | When                                                        | transient |
 * |-----------------------------|-------------------------------------------------------------|-----------|
 * | ZWH-ZOSMF-TLS               | the server certificate is not trusted / does not match      | no        |
 * | ZWH-ZOSMF-AUTH              | HTTP 401 (wrong or expired user/password or token)          | no        |
 * | ZWH-ZOSMF-UNREACHABLE       | connection refused, host not found, unreachable             | see ssh   |
 * | ZWH-ZOSMF-DISCONNECTED      | connection reset / cut mid-request (e.g. an upload)         | yes       |
 * | ZWH-ZOSMF-TIMEOUT           | a request got no answer in time                             | yes       |
 * | ZWH-ZOSMF-NOT-FOUND         | HTTP 404 on a z/OS UNIX path                                | no        |
 * | ZWH-ZOSMF-PERMISSION        | HTTP 403                                                    | no        |
 * | ZWH-ZOSMF-HTTP              | any other HTTP error status (z/OSMF's message included)     | no        |
 * | ZWH-ZOSMF-JOB-ABEND         | a BPXBATCH job abended (retcode ABEND Sxxx/Uxxxx)           | no        |
 * | ZWH-ZOSMF-JOB-TIMEOUT       | a job did not finish within the command timeout (cancelled) | yes       |
 * | ZWH-ZOSMF-JOB-JCL           | JES refused the job (JCL ERROR)                             | no        |
 * | ZWH-ZOSMF-JOB-FAILED        | a job ended without Wheelhouse's exit marker (cancelled...) | no        |
 */
import { ZwhError } from "../../core/errors";

export interface ZosmfErrorContext {
  host: string;
  port: number;
  /** What was going on: "connect", "upload /u/x/a.whl", "job ZWHJOB". */
  operation: string;
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED", "CERT_REJECTED", "ERR_SSL_WRONG_VERSION_NUMBER", "EPROTO",
]);

interface SdkErrorShape {
  message?: string;
  errorCode?: number | string;
  mDetails?: { errorCode?: number | string; causeErrors?: unknown; msg?: string };
  causeErrors?: unknown;
  code?: string;
}

function causeCode(e: SdkErrorShape): string | undefined {
  const c = (e.mDetails?.causeErrors ?? e.causeErrors) as { code?: unknown } | string | undefined;
  if (c && typeof c === "object" && typeof c.code === "string") return c.code;
  return typeof e.code === "string" ? e.code : undefined;
}

/** z/OSMF's own message for an HTTP error (first lines of the SDK message, without the request dump). */
function zosmfMessage(e: SdkErrorShape): string {
  const msg = String(e.mDetails?.msg ?? e.message ?? e);
  return msg.split("\n").filter((l) => l.trim() !== "" && !/^Rest API failure/.test(l)).slice(0, 3).join(" ").slice(0, 500);
}

export function classifyZosmfError(err: unknown, ctx: ZosmfErrorContext): ZwhError {
  if (err instanceof ZwhError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const at = `https://${ctx.host}:${ctx.port}`;
  const status = Number(e.errorCode ?? e.mDetails?.errorCode);
  const code = causeCode(e);
  const details = { host: ctx.host, port: ctx.port, operation: ctx.operation, ...(code ? { cause: code } : {}), ...(Number.isFinite(status) ? { httpStatus: status } : {}) };
  if (code && (TLS_CODES.has(code) || /CERT|SSL/.test(code))) {
    return new ZwhError("ZWH-ZOSMF-TLS", `the TLS certificate of z/OSMF at ${at} is not trusted (${code}); nothing was sent`, {
      subject: at, details, cause: err,
      hint: "Give the CA that issued z/OSMF's certificate (--zosmf-ca-file, the wheelhouse profile's zosmfCaFile, or NODE_EXTRA_CA_CERTS). Turning verification off (rejectUnauthorized false) is not recommended.",
    });
  }
  if (status === 401) {
    return new ZwhError("ZWH-ZOSMF-AUTH", `z/OSMF at ${at} refused the credentials (HTTP 401) during ${ctx.operation}`, {
      subject: at, details, cause: err,
      hint: "Check the user and password (or token) of the zosmf profile; the password may have expired. Secrets are read from the Zowe secure store or --zosmf-password-env, never from the command line.",
    });
  }
  if (code && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code)) {
    return new ZwhError("ZWH-ZOSMF-UNREACHABLE", `cannot reach z/OSMF at ${at} (${code})`, {
      subject: at, details, cause: err, transient: /^(EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code),
      hint: "Check --zosmf-host/--zosmf-port (or the zosmf profile) and that z/OSMF is up.",
    });
  }
  if (code && /^(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_PREMATURE_CLOSE)$/.test(code)) {
    return new ZwhError("ZWH-ZOSMF-DISCONNECTED", `the connection to z/OSMF at ${at} was cut during ${ctx.operation} (${code})`, {
      subject: at, details, cause: err, transient: true,
      hint: "Retry; what was cut is re-sent and re-checked on the target (hashes), nothing half-written is used.",
    });
  }
  if (code === "ETIMEDOUT" || /timed out/i.test(String(e.message))) {
    return new ZwhError("ZWH-ZOSMF-TIMEOUT", `z/OSMF at ${at} did not answer in time during ${ctx.operation}`, { subject: at, details, cause: err, transient: true, hint: "Retry; check the load of z/OSMF." });
  }
  if (status === 404) return new ZwhError("ZWH-ZOSMF-NOT-FOUND", `${ctx.operation} on ${at}: not found (${zosmfMessage(e)})`, { subject: at, details, cause: err });
  if (status === 403) return new ZwhError("ZWH-ZOSMF-PERMISSION", `${ctx.operation} on ${at}: permission denied (${zosmfMessage(e)})`, { subject: at, details, cause: err, hint: "Check the z/OS user's access (file permissions, SAF profiles for z/OSMF and JES)." });
  return new ZwhError("ZWH-ZOSMF-HTTP", `${ctx.operation} on ${at} failed${Number.isFinite(status) ? ` (HTTP ${status})` : ""}: ${zosmfMessage(e)}`, { subject: at, details, cause: err });
}
