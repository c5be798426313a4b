/**
 * The SSH wire encoding (RFC 4251 §5) used by OpenSSH public keys, private key files and SSHSIG
 * blobs: uint32 big-endian, length-prefixed "string", and two's-complement "mpint".
 *
 * Readers never trust a length field: every read is bounds-checked so that a truncated or
 * hostile blob ends in a clean ZwhError instead of an out-of-range slice.
 */
import { ZwhError } from "../../core/errors";

export class SshReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    /** Names the blob in errors (e.g. "SSH signature", "OpenSSH public key"). */
    private readonly what: string,
    /** Error code thrown when the blob is malformed. */
    private readonly code: string,
  ) {}

  private fail(msg: string): never {
    throw new ZwhError(this.code, `${this.what} is malformed: ${msg}`, {
      subject: this.what,
      hint: "The data is truncated or not in OpenSSH format; regenerate it with ssh-keygen.",
    });
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  bytes(n: number): Buffer {
    if (n < 0 || this.pos + n > this.buf.length) this.fail(`needs ${n} more bytes at offset ${this.pos}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  /** A string that must be printable text (algorithm names, namespaces). */
  text(): string {
    const b = this.string();
    const s = b.toString("utf8");
    if (!Buffer.from(s, "utf8").equals(b)) this.fail("a text field is not valid UTF-8");
    return s;
  }

  /** A non-negative mpint, returned as its magnitude without leading zero bytes. */
  mpintUnsigned(): Buffer {
    const b = this.string();
    if (b.length > 0 && (b[0] & 0x80) !== 0) this.fail("negative mpint");
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}

export function sshUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function sshString(data: Buffer | string): Buffer {
  const b = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return Buffer.concat([sshUint32(b.length), b]);
}

/** Encode a non-negative big-endian magnitude as an SSH mpint (minimal, sign bit clear). */
export function sshMpint(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  let m = magnitude.subarray(i);
  if (m.length > 0 && (m[0] & 0x80) !== 0) m = Buffer.concat([Buffer.from([0]), m]);
  return sshString(m);
}

/** Left-pad a big-endian magnitude to a fixed width (for raw r||s and EC coordinates). */
export function padTo(b: Buffer, width: number, what: string, code: string): Buffer {
  if (b.length > width) throw new ZwhError(code, `${what}: value is ${b.length} bytes, expected at most ${width}`);
  return Buffer.concat([Buffer.alloc(width - b.length), b]);
}
