/**
 * The layering rules (.dependency-cruiser.cjs) hold for src/, and each rule catches a violation:
 * the second test adds one offending file per rule to a copy of src/ and expects exactly those.
 */
import { describe, expect, it } from "vitest";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkLayering } = require("../../scripts/check-layering.js") as {
  checkLayering(o?: { extraFiles?: Record<string, string> }): { violations: Array<{ rule: string; from: string; to: string }>; modules: number };
};

describe("layering (dependency-cruiser)", () => {
  it("src/ has no upward import", () => {
    const r = checkLayering();
    expect(r.modules).toBeGreaterThan(100);
    expect(r.violations).toEqual([]);
  }, 240_000);

  it("catches each kind of upward import in a copy of src/", () => {
    const synthetic: Record<string, { text: string; rule: string; to: RegExp }> = {
      "src/core/zz-uses-remote.ts": { text: 'import { shQuote } from "../remote/quote";\nexport const q = shQuote;\n', rule: "core-is-pure", to: /^src\/remote\/quote\.ts$/ },
      "src/core/zz-reads-files.ts": { text: 'import { readFileSync } from "fs";\nexport const f = readFileSync;\n', rule: "core-no-io-builtins", to: /^fs$/ },
      "src/deploy/zz-uses-cli.ts": { text: 'import type { Output } from "../cli/framework/types";\nexport type X = Output;\n', rule: "no-cli-below-cli", to: /^src\/cli\/framework\/types\.ts$/ },
      "src/remote/zz-uses-sdk.ts": { text: 'import { ZwhError } from "../index";\nexport const E = ZwhError;\n', rule: "no-sdk-below-cli", to: /^src\/index\.ts$/ },
      "src/deploy/zz-uses-imperative.ts": { text: 'import { ImperativeConfig } from "@zowe/imperative";\nexport const c = ImperativeConfig;\n', rule: "no-imperative-below-cli", to: /node_modules\/@zowe\/imperative\// },
      "src/deploy/zz-uses-ssh.ts": { text: 'import { connectTarget } from "../remote/connection";\nexport const c = connectTarget;\n', rule: "pipeline-uses-transport-interface", to: /^src\/remote\/connection\.ts$/ },
      "src/bundle/zz-uses-deploy.ts": { text: 'import { DEFAULT_KEEP } from "../deploy/types";\nexport const k = DEFAULT_KEEP;\n', rule: "lower-layers-not-up", to: /^src\/deploy\/types\.ts$/ },
      "src/remote/zz-uses-bundle.ts": { text: 'import { peekWheels } from "../bundle/peek";\nexport const p = peekWheels;\n', rule: "remote-not-bundle-inventory", to: /^src\/bundle\/peek\.ts$/ },
      "src/io/zz-uses-remote.ts": { text: 'import { shQuote } from "../remote/quote";\nexport const q = shQuote;\n', rule: "io-only-core", to: /^src\/remote\/quote\.ts$/ },
    };
    const r = checkLayering({ extraFiles: Object.fromEntries(Object.entries(synthetic).map(([p, s]) => [p, s.text])) });
    for (const [file, s] of Object.entries(synthetic)) {
      const hits = r.violations.filter((v) => v.from === file);
      expect(hits.map((v) => v.rule), file).toEqual([s.rule]);
      expect(hits[0].to, file).toMatch(s.to);
    }
    // Nothing else was reported: the real files stay clean.
    expect(r.violations.filter((v) => !(v.from in synthetic))).toEqual([]);
  }, 240_000);
});
