import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { PlainProgress, PLAIN_UPDATE_INTERVAL_MS, zwhOutput } from "../../src/cli/zwh/output";

function sink() {
  const s = new PassThrough();
  let text = "";
  s.on("data", (d) => (text += d));
  return { stream: s, text: () => text };
}

describe("plain progress", () => {
  it("prints at most one status line per step every few seconds (simulated clock), plus start and done", async () => {
    const out = sink();
    let clock = 0;
    const p = new PlainProgress(out.stream, () => clock);
    // 1,280 updates 50 ms apart: 64 s of an upload.
    await p.step("Upload", async (s) => {
      for (let i = 1; i <= 1280; i++) { clock += 50; s.update(`${i}/1280 chunks`); }
    });
    const lines = out.text().trimEnd().split("\n");
    expect(lines[0]).toMatch(/\[start\] Upload$/);
    expect(lines.at(-1)).toMatch(/\[done \] Upload \(/);
    const updates = lines.slice(1, -1);
    expect(updates.length).toBe(Math.floor((1280 * 50) / PLAIN_UPDATE_INTERVAL_MS));
    expect(updates[0]).toMatch(/Upload: 100\/1280 chunks$/);
  });

  it("each step has its own budget", async () => {
    const out = sink();
    let clock = 0;
    const p = new PlainProgress(out.stream, () => clock);
    await p.step("A", async (a) => {
      clock += PLAIN_UPDATE_INTERVAL_MS;
      a.update("a1");
      await p.step("B", async (b) => { b.update("b-too-soon"); clock += PLAIN_UPDATE_INTERVAL_MS; b.update("b1"); });
    });
    expect(out.text()).toMatch(/A: a1\n/);
    expect(out.text()).not.toContain("b-too-soon");
    expect(out.text()).toMatch(/B: b1\n/);
  });
});

describe("which renderer", () => {
  const tty = () => Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  const kind = (env: NodeJS.ProcessEnv, columns = 80) => {
    const err = Object.assign(tty(), { columns });
    return zwhOutput({ json: false, env, stdout: tty(), stderr: err }).progress.constructor.name;
  };
  it("uses plain lines for TERM=dumb, a 0-column terminal and CI; the live renderer only on a real terminal", () => {
    expect(kind({ TERM: "xterm" })).toBe("ListrProgress");
    expect(kind({ TERM: "dumb" })).toBe("PlainProgress");
    expect(kind({ TERM: "xterm" }, 0)).toBe("PlainProgress");
    expect(kind({ TERM: "xterm", CI: "true" })).toBe("PlainProgress");
  });
});
