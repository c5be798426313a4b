/** Logical host identity: --name > ssh profile > nodename > address, and one address spelling. */
import { describe, expect, it } from "vitest";
import { addressLabel, hostIdentity } from "../../src/core/host-name";
import { connectTitle, hostLabel, hostTitle } from "../../src/remote/target";
import { targetSpecFromArgs } from "../../src/remote/target-args";

const base = { host: "10.1.1.2", user: "IBMUSER" };

describe("host identity", () => {
  it("names a host by --name, else its ssh profile, else its nodename, else its address", () => {
    expect(hostIdentity({ host: "10.1.1.2", port: 22, name: "prod-a", nameSource: "name" }, "SYSA")).toEqual({ name: "prod-a", source: "name" });
    expect(hostIdentity({ host: "10.1.1.2", port: 22, name: "lpar2", nameSource: "profile" }, "SYSA")).toEqual({ name: "lpar2", source: "profile" });
    expect(hostIdentity({ host: "10.1.1.2", port: 22 }, "SYSA")).toEqual({ name: "SYSA", source: "nodename" });
    expect(hostIdentity({ host: "10.1.1.2", port: 2222 }, " ")).toEqual({ name: "10.1.1.2:2222", source: "address" });
    expect(hostIdentity({ host: "10.1.1.2", port: 22 }, "bad name;")).toEqual({ name: "10.1.1.2", source: "address" });
  });

  it("spells an address one way everywhere: port 22 omitted", () => {
    expect(addressLabel({ host: "lpar1.example", port: 22 })).toBe("lpar1.example");
    expect(addressLabel({ host: "lpar1.example", port: 2222 })).toBe("lpar1.example:2222");
    expect(hostLabel({ host: "lpar1.example", port: 22 })).toBe("lpar1.example");
    expect(hostLabel({ host: "lpar1.example", port: 22, name: "prod" })).toBe("prod");
  });

  it("takes --name and the ssh profile's name from the arguments, --name first, and validates them", () => {
    expect(targetSpecFromArgs({ ...base, name: "prod-a" }, {})).toMatchObject({ name: "prod-a", nameSource: "name" });
    expect(targetSpecFromArgs({ ...base, sshProfileName: "lpar2" }, {})).toMatchObject({ name: "lpar2", nameSource: "profile", zoweProfile: "lpar2" });
    expect(targetSpecFromArgs({ ...base, name: "prod-a", sshProfileName: "lpar2" }, {})).toMatchObject({ name: "prod-a", nameSource: "name", zoweProfile: "lpar2" });
    const plain = targetSpecFromArgs(base, {});
    expect(plain.name).toBeUndefined();
    expect(() => targetSpecFromArgs({ ...base, name: "a b" }, {})).toThrow(/--name "a b" is not a valid host name/);
    expect(() => targetSpecFromArgs({ ...base, name: "-x" }, {})).toThrow(/ZWH|valid/);
  });
});

describe("how human output names a target", () => {
  it("the logical name with the address as an attribute, else the address alone", () => {
    expect(hostTitle({ host: "10.1.1.5", port: 2222, name: "lpar1" })).toBe("lpar1 (10.1.1.5:2222)");
    expect(hostTitle({ host: "10.1.1.5", port: 22 })).toBe("10.1.1.5");
    expect(hostTitle({ host: "10.1.1.5", port: 2222 }, "10.1.1.5:2222")).toBe("10.1.1.5:2222");
    expect(connectTitle({ host: "10.1.1.5", port: 2222, user: "IBMUSER", name: "lpar1" })).toBe("Connect to lpar1 (IBMUSER@10.1.1.5:2222)");
    expect(connectTitle({ host: "10.1.1.5", port: 22, user: "IBMUSER" })).toBe("Connect to IBMUSER@10.1.1.5");
  });
});
