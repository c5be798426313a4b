// src/remote/helpers/zwh_unpack.py (the z/OSMF transport's archive unpacker), run locally: writes
// members into existing files in place (same inode, so a z/OS tag - here the simulator's xattr -
// survives), refuses anything but plain names, removes the archive on request.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ustar } from "../../src/remote/zosmf/ustar";

const HELPER = path.join(__dirname, "..", "..", "src", "remote", "helpers", "zwh_unpack.py");

function unpack(archive: string, dest: string, extra: string[] = []) {
  const r = spawnSync("python3", ["-I", HELPER, "--archive", archive, "--dest", dest, ...extra], { encoding: "utf8" });
  return { code: r.status, json: JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>, stderr: r.stderr };
}

function rawTar(name: string, data: Buffer): Buffer {
  // a ustar header with an arbitrary name (ustar() refuses such names on purpose)
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, "ascii");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

describe("zwh_unpack.py", () => {
  it("writes every member into the existing file in place and removes the archive", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-unpack-"));
    const target = path.join(d, "a.whl");
    fs.writeFileSync(target, "");
    const ino = fs.statSync(target).ino;
    const xattr = spawnSync("python3", ["-c", "import os,sys;os.setxattr(sys.argv[1],'user.zos.tag',b'65535:0')", target]);
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    fs.writeFileSync(path.join(d, "x.tar"), ustar([{ name: "a.whl", data }, { name: "b.json", data: Buffer.from("{}\n") }]));
    const r = unpack(path.join(d, "x.tar"), d, ["--remove-archive"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, files: [{ name: "a.whl", size: 3000 }, { name: "b.json", size: 3 }] });
    expect(fs.readFileSync(target).equals(data)).toBe(true);
    expect(fs.statSync(target).ino).toBe(ino);
    expect(xattr.status).toBe(0); // the simulator's tag store needs user.* xattrs (test/sim/README.md)
    const t = spawnSync("python3", ["-c", "import os,sys;print(os.getxattr(sys.argv[1],'user.zos.tag').decode())", target], { encoding: "utf8" });
    expect(t.stdout.trim()).toBe("65535:0");
    expect(fs.existsSync(path.join(d, "x.tar"))).toBe(false);
    fs.rmSync(d, { recursive: true, force: true });
  });

  it("refuses traversal and path members before writing anything", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-unpack-"));
    for (const name of ["../evil", "sub/x", "/abs"]) {
      fs.writeFileSync(path.join(d, "x.tar"), rawTar(name, Buffer.from("x")));
      const r = unpack(path.join(d, "x.tar"), path.join(d, "dest"));
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ ok: false, error: { code: "ZWH-ZOSMF-UNPACK" } });
    }
    expect(fs.existsSync(path.join(d, "evil"))).toBe(false);
    fs.rmSync(d, { recursive: true, force: true });
  });
});
