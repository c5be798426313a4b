import { createServer } from "net";
import { Client } from "ssh2";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { classifySftpError, classifySshError, passwordExpired } from "../../src/remote/ssh-errors";

const ctx = { host: "lpar1", port: 2222, operation: "connect" };
const errno = (code: string, msg = code) => Object.assign(new Error(msg), { code });

describe("classifySshError", () => {
  it("maps socket errors with the right transient flag and names host:port", () => {
    const cases: Array<[unknown, string, boolean]> = [
      [errno("ECONNREFUSED"), "ZWH-SSH-UNREACHABLE", false],
      [errno("ENOTFOUND"), "ZWH-SSH-UNREACHABLE", false],
      [errno("EHOSTUNREACH"), "ZWH-SSH-UNREACHABLE", true],
      [errno("ENETUNREACH"), "ZWH-SSH-UNREACHABLE", true],
      [errno("EAI_AGAIN"), "ZWH-SSH-UNREACHABLE", true],
      [errno("ETIMEDOUT"), "ZWH-SSH-TIMEOUT", true],
      [errno("ECONNRESET"), "ZWH-SSH-DISCONNECTED", true],
      [errno("EPIPE"), "ZWH-SSH-DISCONNECTED", true],
      [new Error("Timed out while waiting for handshake"), "ZWH-SSH-TIMEOUT", true],
      [new Error("Keepalive timeout"), "ZWH-SSH-DISCONNECTED", true],
      [Object.assign(new Error("All configured authentication methods failed"), { level: "client-authentication" }), "ZWH-SSH-AUTH", false],
      [new Error("Handshake failed: no matching key exchange algorithm"), "ZWH-SSH-HANDSHAKE", false],
      [new Error("(SSH) Channel open failure: open failed"), "ZWH-SSH-CHANNEL", true],
      [new Error("FOTS1668 Your password has expired"), "ZWH-SSH-PASSWORD-EXPIRED", false],
      [new Error("something odd"), "ZWH-SSH-ERROR", false],
    ];
    for (const [e, code, transient] of cases) {
      const z = classifySshError(e, ctx);
      expect(z.code, String(e)).toBe(code);
      expect(z.transient, String(e)).toBe(transient);
      expect(z.message + (z.subject ?? ""), String(e)).toContain("lpar1");
      expect(z.subject).toBe("lpar1:2222");
    }
  });

  it("names the methods tried in ZWH-SSH-AUTH", () => {
    const z = classifySshError(Object.assign(new Error("All configured authentication methods failed"), { level: "client-authentication" }), {
      ...ctx, methodsTried: ["publickey", "password"],
    });
    expect(z.message).toContain("publickey, password");
    expect(z.details?.methodsTried).toEqual(["publickey", "password"]);
  });

  it("passes ZwhErrors through unchanged", () => {
    const z = new ZwhError("ZWH-X", "x");
    expect(classifySshError(z, ctx)).toBe(z);
  });

  it("maps SFTP status codes", () => {
    expect(classifySftpError(Object.assign(new Error("No such file"), { code: 2 }), ctx, "/a")?.code).toBe("ZWH-SFTP-NOT-FOUND");
    expect(classifySftpError(Object.assign(new Error("Permission denied"), { code: 3 }), ctx, "/a")?.code).toBe("ZWH-SFTP-PERMISSION");
    expect(classifySftpError(Object.assign(new Error("Failure"), { code: 4 }), ctx, "/a")?.code).toBe("ZWH-SFTP-FAILURE");
    const lost = classifySftpError(Object.assign(new Error("lost"), { code: 7 }), ctx, "/a");
    expect(lost?.code).toBe("ZWH-SSH-DISCONNECTED");
    expect(lost?.transient).toBe(true);
    expect(classifySftpError(errno("ECONNRESET"), ctx)).toBeUndefined();
    expect(classifySftpError(Object.assign(new Error("x"), { code: 2 }), ctx, "/a")!.message).toContain("lpar1:2222");
  });

  it("password expired", () => {
    expect(passwordExpired(ctx).code).toBe("ZWH-SSH-PASSWORD-EXPIRED");
  });

  it("classifies what real ssh2 reports for a refused port and a silent server", async () => {
    // A port with nothing listening: bind, learn the port, close.
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const port = (free.address() as { port: number }).port;
    await new Promise<void>((r) => free.close(() => r()));
    const refused = await new Promise<unknown>((resolve) => {
      const c = new Client();
      c.on("error", resolve);
      c.connect({ host: "127.0.0.1", port, username: "x", hostVerifier: () => false });
    });
    expect(classifySshError(refused, { host: "127.0.0.1", port }).code).toBe("ZWH-SSH-UNREACHABLE");

    // A TCP server that never speaks SSH: handshake timeout.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const sport = (silent.address() as { port: number }).port;
    const hs = await new Promise<unknown>((resolve) => {
      const c = new Client();
      c.on("error", (e) => {
        c.end();
        resolve(e);
      });
      c.connect({ host: "127.0.0.1", port: sport, username: "x", readyTimeout: 300, hostVerifier: () => false });
    });
    silent.close();
    const z = classifySshError(hs, { host: "127.0.0.1", port: sport });
    expect(z.code).toBe("ZWH-SSH-TIMEOUT");
    expect(z.transient).toBe(true);
  });
});
