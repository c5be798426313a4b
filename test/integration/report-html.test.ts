/**
 * The HTML drift report rendered in real headless Chromium: a screenshot is produced and the
 * page logs no console error; the same harness does catch an error on a control page.
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { renderDriftReport } from "../../src/report/render-drift";
import { renderPage } from "../support/chromium";
import { sampleReport } from "../support/drift-sample";

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("HTML drift report in Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "zwh-html-"));
  it("renders with a title and a screenshot, and logs no console errors", async () => {
    const file = join(dir, "drift.html");
    const html = renderDriftReport(sampleReport(), "html");
    expect(html).not.toMatch(/<script|<link|src="http|url\(http/);
    writeFileSync(file, html);
    const r = await renderPage(file);
    expect(r.title).toBe("Wheelhouse drift report run-1");
    expect(r.png.subarray(0, 8).equals(PNG)).toBe(true);
    expect(r.png.length).toBeGreaterThan(10_000);
    writeFileSync(join(dir, "drift.png"), r.png);
    expect(r.consoleErrors).toEqual([]);
  });
  it("the harness reports console errors and exceptions (control page)", async () => {
    const file = join(dir, "bad.html");
    writeFileSync(file, "<!doctype html><title>bad</title><script>console.error('boom'); null.x;</script>");
    const r = await renderPage(file);
    expect(r.consoleErrors.some((e) => e.includes("boom"))).toBe(true);
    expect(r.consoleErrors.some((e) => e.startsWith("exception:"))).toBe(true);
  });
});
