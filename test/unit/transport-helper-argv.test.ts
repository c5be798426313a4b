// helperArgv (src/remote/transport.ts): the one builder of helper commands, used by runHelper on
// both transports and by helpers inside batches; interpreter flags sit between the interpreter
// and the helper, only restricting switches are accepted, and the count of interpreter starts
// (python-starts.ts) is the same with or without them.
import { describe, expect, it } from "vitest";
import { pythonStartsOf } from "../../src/remote/python-starts";
import { shCommand } from "../../src/remote/quote";
import { helperArgv, ISOLATED, PYTHON_FLAGS } from "../../src/remote/transport";

const PY = "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3";

describe("helperArgv", () => {
  it("puts the flags between the interpreter and the helper", () => {
    expect(helperArgv(PY, "/u/wh/.wheelhouse/helpers/zwh_drift-abc.py", ["observe", "--root", "/u/wh"], ISOLATED))
      .toEqual([PY, "-I", "-S", "/u/wh/.wheelhouse/helpers/zwh_drift-abc.py", "observe", "--root", "/u/wh"]);
    expect(helperArgv(PY, "/h/x.py", ["a"])).toEqual([PY, "/h/x.py", "a"]);
  });

  it("refuses any flag that could make the interpreter run something else", () => {
    for (const bad of ["-c", "-m", "-X", "-W", "-Ic", "--", "", "-i", "-x"]) {
      expect(() => helperArgv(PY, "/h/x.py", [], [bad])).toThrow(expect.objectContaining({ code: "ZWH-INTERNAL" }));
    }
    for (const ok of PYTHON_FLAGS) expect(helperArgv(PY, "/h/x.py", [], [ok])[1]).toBe(ok);
  });

  it("counts one interpreter start with or without flags, and more for what a helper runs after --", () => {
    expect(pythonStartsOf(helperArgv(PY, "/h/zwh_drift.py", ["observe"], ISOLATED))).toBe(1);
    expect(pythonStartsOf(helperArgv(PY, "/h/zwh_drift.py", ["observe"]))).toBe(1);
    expect(pythonStartsOf(helperArgv(PY, "/h/zwh_deploy.py", ["run-to-file", "--out", "f", "--", PY, "-m", "pip", "--python", "/v/bin/python", "inspect"], ISOLATED))).toBe(3);
  });

  it("quotes arguments literally when sent (the one quoting helper)", () => {
    expect(shCommand(helperArgv(PY, "/h/x.py", ["a b", "$HOME", "it's"], ISOLATED))).toBe(`${PY} -I -S /h/x.py 'a b' '$HOME' 'it'\\''s'`);
  });
});
