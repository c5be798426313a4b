/**
 * A minimal POSIX ustar writer for the z/OSMF upload archive: regular files with plain names
 * (no directories, links or long names), mode 0644, so the target's stdlib tarfile (or pax) reads
 * it. Names are checked by the caller's unpacker too.
 */
import { ZwhError } from "../../core/errors";

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

export function ustar(files: Array<{ name: string; data: Buffer }>, mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (!/^[A-Za-z0-9._+-]{1,100}$/.test(f.name) || f.name === "." || f.name === "..") {
      throw new ZwhError("ZWH-INTERNAL", `archive member name ${JSON.stringify(f.name)} is not a plain file name`);
    }
    const h = Buffer.alloc(512, 0);
    h.write(f.name, 0, "ascii");
    h.write(octal(0o644, 8), 100, "ascii");
    h.write(octal(0, 8), 108, "ascii");
    h.write(octal(0, 8), 116, "ascii");
    h.write(octal(f.data.length, 12), 124, "ascii");
    h.write(octal(mtime, 12), 136, "ascii");
    h.write("        ", 148, "ascii"); // checksum field counts as blanks
    h.write("0", 156, "ascii");
    h.write("ustar\0", 257, "ascii");
    h.write("00", 263, "ascii");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
    parts.push(h, f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}
