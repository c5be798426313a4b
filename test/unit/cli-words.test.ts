import { describe, expect, it } from "vitest";
import { dataInCliWords, errorInCliWords, inCliWords } from "../../src/cli/framework/cli-words";
import { ZwhError, EXIT_REFUSED } from "../../src/core/errors";

describe("messages in the words of the CLI in use", () => {
  it("leaves zwh's text alone and rewrites zwh commands and zwh-only flags for Zowe", () => {
    const hint = "Create it with 'zwh trust init --out FILE' and add keys with 'zwh trust add-key'.";
    expect(inCliWords(hint, "zwh")).toBe(hint);
    expect(inCliWords(hint, "zowe")).toBe("Create it with 'zowe wh trust init --out FILE' and add keys with 'zowe wh trust add-key'.");
    expect(inCliWords("Give --identity KEYFILE, start ssh-agent (SSH_AUTH_SOCK), or --password-env VAR.", "zowe")).not.toMatch(/--identity|--password-env/);
    expect(inCliWords("Give --host and --user (or use a Zowe ssh profile).", "zowe")).toContain("--ssh-profile NAME");
    expect(inCliWords("then 'zwh lock break' (same target options and --root).", "zowe")).toBe("then 'zowe wh lock break' (same --ssh-profile and --root).");
    // Paths are not prose: ~/.zwh/ stays.
    expect(inCliWords("state in ~/.zwh/trust-state.json", "zowe")).toBe("state in ~/.zwh/trust-state.json");
  });

  it("rewrites an error's message and hint only, keeping code, subject, details and exit code", () => {
    const e = new ZwhError("ZWH-X", "see 'zwh status'", { subject: "/u/zwh status", hint: "run 'zwh lock status'", details: { a: 1 }, exitCode: EXIT_REFUSED });
    const z = errorInCliWords(e, "zowe");
    expect(z.toJSON()).toEqual({ code: "ZWH-X", message: "see 'zowe wh status'", subject: "/u/zwh status", hint: "run 'zowe wh lock status'", details: { a: 1 }, transient: false });
    expect(z.exitCode).toBe(EXIT_REFUSED);
    expect(errorInCliWords(e, "zwh")).toBe(e);
  });

  it("rewrites only message and hint fields of a JSON result, never paths or ids", () => {
    const data = { dir: "/tmp/zwh bundle", findings: [{ code: "C", message: "rebuild with 'zwh bundle create'", hint: "'zwh bundle sign'" }] };
    expect(dataInCliWords(data, "zowe")).toEqual({ dir: "/tmp/zwh bundle", findings: [{ code: "C", message: "rebuild with 'zowe wh bundle create'", hint: "'zowe wh bundle sign'" }] });
  });
});
