/** Public API of the bundle layer (create, sign, verify, inspect, pack, unpack). */
export * from "./codes";
export * from "./statement";
export { targetFromProbe, loadTargetEnv, zosTarget, tagTarget, compareTargets, majorMinor } from "./target";
export { createBundle, resolveExpiry, parseRequirementsText, computeSubjects, signAll, envelopeBytes } from "./create";
export type { CreateBundleOptions, CreatedBundle } from "./create";
export { signBundle } from "./sign";
export type { SignBundleOptions, SignedBundle } from "./sign";
export { verifyBundle, loadAndVerifyBundle, acceptBundleSequence, findingJson, splitSshsigs, VERIFY_STEPS } from "./verify";
export type { VerifyBundleOptions, VerifiedBundle, VerifiedWheel, BundleVerification, BundleFinding, VerifyStep } from "./verify";
export { inspectBundle, renderInspection } from "./inspect";
export type { BundleInspection, InspectedSignature } from "./inspect";
export { packBundle, unpackBundle, listTar, unsafeTarName } from "./tar";
export { verifyWheelSet } from "./wheel-pool";
export type { PoolOptions } from "./wheel-pool";
export { wheelEntryFromFacts, checkClosure, checkPlatform, checkPolicy, checkDenyLists, checkLock, sha256File } from "./checks";
