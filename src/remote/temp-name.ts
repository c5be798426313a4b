import { randomBytes } from "crypto";

/** A unique, shell-safe temporary name suffix. */
export function tempSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString("hex")}`;
}
