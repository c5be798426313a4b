/** "sha256:<hex>" (statements, receipts) and bare "<hex>" (the inventory) name the same digest. */
export function bareDigest(d: string): string {
  const l = d.trim().toLowerCase();
  return l.startsWith("sha256:") ? l.slice(7) : l;
}
