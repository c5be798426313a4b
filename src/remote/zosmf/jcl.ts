/**
 * The ONE JCL template Wheelhouse submits over z/OSMF: a BPXBATCH step that runs a shell script
 * Wheelhouse uploaded (tagged ISO8859-1) under the user's home directory.
 *
 *   //ZWHJOB   JOB (ACCT),'WHEELHOUSE',CLASS=A,MSGCLASS=X,MSGLEVEL=(1,1)
 *   //RUN      EXEC PGM=BPXBATCH,REGION=0M,
 *   //             PARM='SH /bin/sh .zwh-jobs/<16 hex>.sh'
 *   //STDOUT   DD SYSOUT=*
 *   //STDERR   DD SYSOUT=*
 *   //STDENV   DD *
 *   _BPXK_AUTOCVT=ON
 *   /*
 *
 * Why this shape: a BPXBATCH PARM holds at most 100 characters and a JCL statement 71 columns,
 * so the command itself lives in the script (any length, any quoting) and the PARM names it
 * relative to HOME (BPXBATCH starts there), which keeps it short. _BPXK_AUTOCVT=ON in STDENV
 * lets /bin/sh read the ISO8859-1-tagged script. Every value that goes into the JCL is checked
 * here, so nothing a profile says can break a statement or inject one.
 */
import { ZwhError } from "../../core/errors";

export interface JobSettings {
  /** 1-8 characters, first A-Z/@/#/$, then also 0-9. Default ZWHJOB. */
  jobName?: string;
  /** Accounting information (1-40 of A-Z 0-9 @ # $ . - / and blank-free). Default: none. */
  account?: string;
  /** Job class, one character A-Z or 0-9. Default A. */
  jobClass?: string;
  /** Message class for the job log, one character. Default X (held, as z/OSMF reads it). */
  msgClass?: string;
}

export const DEFAULT_JOB_NAME = "ZWHJOB";
const NAME = /^[A-Z@#$][A-Z0-9@#$]{0,7}$/;
const ACCOUNT = /^[A-Z0-9@#$./-]{1,40}$/;
const CLASS = /^[A-Z0-9]$/;
const SCRIPT = /^\.zwh-jobs\/[0-9a-f]{16}\.sh$/;

function invalid(what: string, value: string, rule: string): ZwhError {
  return new ZwhError("ZWH-ARGS-INVALID", `${what} ${JSON.stringify(value)} cannot go into a JCL statement: ${rule}`, {
    subject: what,
    hint: `Fix the ${what} (flag or zosmf/wheelhouse profile property) and retry.`,
  });
}

/** The job settings, upper-cased and checked (ZWH-ARGS-INVALID naming the bad one). */
export function checkJobSettings(s: JobSettings): Required<Omit<JobSettings, "account">> & { account?: string } {
  const jobName = (s.jobName ?? DEFAULT_JOB_NAME).toUpperCase();
  if (!NAME.test(jobName)) throw invalid("job name", jobName, "1-8 characters, A-Z @ # $ first, then also 0-9");
  const jobClass = (s.jobClass ?? "A").toUpperCase();
  if (!CLASS.test(jobClass)) throw invalid("job class", jobClass, "one character A-Z or 0-9");
  const msgClass = (s.msgClass ?? "X").toUpperCase();
  if (!CLASS.test(msgClass)) throw invalid("message class", msgClass, "one character A-Z or 0-9");
  const account = s.account === undefined || s.account === "" ? undefined : s.account.toUpperCase();
  if (account !== undefined && !ACCOUNT.test(account)) throw invalid("job account", account, "1-40 characters of A-Z 0-9 @ # $ . / -");
  return { jobName, jobClass, msgClass, account };
}

/** The PARM that prints $HOME (the first job of a session, before any script can be placed). */
export const HOME_PROBE = "HOME";

/**
 * The job for `script` (a path relative to HOME, as written by the session), or, for
 * HOME_PROBE, a job whose PARM prints $HOME.
 */
export function bpxbatchJcl(settings: JobSettings, script: string): string {
  const s = checkJobSettings(settings);
  if (script !== HOME_PROBE && !SCRIPT.test(script)) throw new ZwhError("ZWH-INTERNAL", `job script name ${script} is not one the session generates`);
  const parm = script === HOME_PROBE ? `SH echo "$HOME"` : `SH /bin/sh ${script}`;
  const lines = [
    `//${s.jobName.padEnd(8)} JOB (${s.account ?? ""}),'WHEELHOUSE',CLASS=${s.jobClass},MSGCLASS=${s.msgClass},`,
    `//             MSGLEVEL=(1,1)`,
    `//RUN      EXEC PGM=BPXBATCH,REGION=0M,`,
    `//             PARM='${parm}'`,
    `//STDOUT   DD SYSOUT=*`,
    `//STDERR   DD SYSOUT=*`,
    `//STDENV   DD *`,
    `_BPXK_AUTOCVT=ON`,
    `/*`,
  ];
  for (const l of lines) if (l.length > 71) throw new ZwhError("ZWH-INTERNAL", `JCL statement longer than 71 columns: ${l}`);
  return lines.join("\n") + "\n";
}
