/** bundle pack / unpack: round trip, GNU tar interop, and hostile archives refused before writing. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packBundle, unpackBundle } from "../../src/bundle/tar";
import { loadAndVerifyBundle } from "../../src/bundle/verify";
import { goodBundle, makeKeys, makeTrust, NOW, TestKey } from "../support/bundles";
import type { Trust } from "../../src/bundle/signing";

let root: string;
let keys: TestKey[];
let trust: Trust;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bundle-tar-"));
  keys = makeKeys(1);
  trust = makeTrust(keys);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** An independent ustar header writer (not the one under test). */
function hdr(name: string, opts: { type?: string; size?: number; link?: string; prefix?: string } = {}): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write((opts.size ?? 0).toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write(opts.type ?? "0", 156);
  if (opts.link) h.write(opts.link, 157, 100);
  h.write("ustar\0", 257);
  h.write("00", 263);
  if (opts.prefix) h.write(opts.prefix, 345, 155);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}
function archive(entries: Array<{ name: string; data?: string; type?: string; link?: string; prefix?: string }>): string {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? "");
    parts.push(hdr(e.name, { type: e.type, size: e.type && e.type !== "0" ? 0 : data.length, link: e.link, prefix: e.prefix }));
    if (!e.type || e.type === "0") {
      parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  const f = path.join(root, `a-${Math.random().toString(36).slice(2)}.tar`);
  fs.writeFileSync(f, Buffer.concat(parts));
  return f;
}

describe("pack/unpack", () => {
  it("round-trips a bundle that still verifies, deterministically", async () => {
    const dir = await goodBundle(root, { keys });
    const t1 = await packBundle(dir, path.join(root, "b1.tar"));
    const t2 = await packBundle(dir, path.join(root, "b2.tar"));
    expect(t1.sha256).toBe(t2.sha256);
    const listing = spawnSync("tar", ["tf", t1.file], { encoding: "utf8" });
    expect(listing.status).toBe(0);
    expect(listing.stdout.split("\n")).toContain("wheels/lib-1.0-py3-none-any.whl");
    const out = path.join(root, "unpacked");
    await unpackBundle(t1.file, out);
    const v = await loadAndVerifyBundle(out, { trust, now: NOW });
    expect(v.wheels).toHaveLength(2);
  });

  it("unpacks archives made by GNU tar, including long names", async () => {
    const src = path.join(root, "gnu-src");
    const long = "x".repeat(140) + ".whl";
    fs.mkdirSync(path.join(src, "wheels"), { recursive: true });
    fs.writeFileSync(path.join(src, "wheels", long), "data");
    fs.writeFileSync(path.join(src, "a.txt"), "hello");
    for (const format of ["gnu", "pax"]) {
      const tarFile = path.join(root, `gnu-${format}.tar`);
      expect(spawnSync("tar", ["-C", src, `--format=${format}`, "-cf", tarFile, "a.txt", "wheels"]).status).toBe(0);
      const out = path.join(root, `gnu-out-${format}`);
      await unpackBundle(tarFile, out);
      expect(fs.readFileSync(path.join(out, "wheels", long), "utf8")).toBe("data");
    }
  });

  it("writes long names GNU tar can read", async () => {
    const src = path.join(root, "long-src");
    const long = "y".repeat(180) + ".whl";
    fs.mkdirSync(path.join(src, "wheels"), { recursive: true });
    fs.writeFileSync(path.join(src, "wheels", long), "z");
    const t = await packBundle(src, path.join(root, "long.tar"));
    const listing = spawnSync("tar", ["tf", t.file], { encoding: "utf8" });
    expect(listing.stdout).toContain(`wheels/${long}`);
    await unpackBundle(t.file, path.join(root, "long-out"));
    expect(fs.readFileSync(path.join(root, "long-out", "wheels", long), "utf8")).toBe("z");
  });

  it("refuses to pack a bundle holding a symlink", async () => {
    const src = path.join(root, "link-src");
    fs.mkdirSync(src);
    fs.symlinkSync("/etc/passwd", path.join(src, "passwd"));
    await expect(packBundle(src, path.join(root, "link.tar"))).rejects.toMatchObject({ code: "ZWH-BUNDLE-SPECIAL-FILE" });
  });

  const hostile: Array<{ name: string; entries: Parameters<typeof archive>[0]; code: string; names: string }> = [
    { name: "parent traversal", entries: [{ name: "../evil.txt", data: "x" }], code: "ZWH-BUNDLE-TAR-UNSAFE-PATH", names: "../evil.txt" },
    { name: "nested traversal", entries: [{ name: "wheels/../../evil.txt", data: "x" }], code: "ZWH-BUNDLE-TAR-UNSAFE-PATH", names: "wheels/../../evil.txt" },
    { name: "traversal via prefix field", entries: [{ name: "evil.txt", prefix: "..", data: "x" }], code: "ZWH-BUNDLE-TAR-UNSAFE-PATH", names: "../evil.txt" },
    { name: "absolute path", entries: [{ name: "/tmp/zwh-evil.txt", data: "x" }], code: "ZWH-BUNDLE-TAR-UNSAFE-PATH", names: "/tmp/zwh-evil.txt" },
    { name: "backslash", entries: [{ name: "wheels\\..\\evil.txt", data: "x" }], code: "ZWH-BUNDLE-TAR-UNSAFE-PATH", names: "evil.txt" },
    { name: "symlink", entries: [{ name: "wheels", type: "2", link: "/etc" }], code: "ZWH-BUNDLE-TAR-LINK", names: "wheels" },
    { name: "symlink then file through it", entries: [{ name: "d", type: "2", link: "/tmp" }, { name: "d/evil.txt", data: "x" }], code: "ZWH-BUNDLE-TAR-LINK", names: "d" },
    { name: "hard link", entries: [{ name: "a.txt", data: "x" }, { name: "b.txt", type: "1", link: "/etc/passwd" }], code: "ZWH-BUNDLE-TAR-LINK", names: "b.txt" },
    { name: "device", entries: [{ name: "dev", type: "3" }], code: "ZWH-BUNDLE-TAR-LINK", names: "dev" },
    { name: "duplicate path", entries: [{ name: "a.txt", data: "x" }, { name: "a.txt", data: "y" }], code: "ZWH-BUNDLE-TAR-DUPLICATE", names: "a.txt" },
  ];
  it.each(hostile)("refuses $name with $code and writes nothing", async (c) => {
    const f = archive([{ name: "ok.txt", data: "fine" }, ...c.entries]);
    const out = path.join(root, `out-${Math.random().toString(36).slice(2)}`);
    const err = await unpackBundle(f, out).then(() => undefined, (e) => e);
    expect(err?.code).toBe(c.code);
    expect(err.exitCode).toBe(3);
    expect(`${err.subject} ${err.message}`).toContain(c.names);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(root).filter((n) => n.startsWith(`.${path.basename(out)}`))).toEqual([]);
  });

  it("refuses a corrupt checksum and a truncated archive", async () => {
    const f = archive([{ name: "a.txt", data: "hello" }]);
    const b = fs.readFileSync(f);
    b[0] = "b".charCodeAt(0);
    fs.writeFileSync(f, b);
    await expect(unpackBundle(f, path.join(root, "corrupt-out"))).rejects.toMatchObject({ code: "ZWH-BUNDLE-TAR-INVALID" });
    const g = archive([{ name: "a.txt", data: "x".repeat(2000) }]);
    fs.writeFileSync(g, fs.readFileSync(g).subarray(0, 1024));
    await expect(unpackBundle(g, path.join(root, "trunc-out"))).rejects.toMatchObject({ code: "ZWH-BUNDLE-TAR-INVALID" });
  });

  it("refuses to unpack into an existing directory", async () => {
    const f = archive([{ name: "a.txt", data: "x" }]);
    await expect(unpackBundle(f, root)).rejects.toMatchObject({ code: "ZWH-BUNDLE-EXISTS" });
  });
});
