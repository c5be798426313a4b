/** Public API of the signing layer: keys, DSSE, SSHSIG, trust file, rollback state, verification. */
export * from "./codes";
export * from "./keys";
export * from "./dsse";
export * from "./sshsig";
export * from "./trust";
export * from "./sequence-state";
export {
  verifyStatementSignatures, signStatement, signStatementSsh, addSignature as addStatementSignature,
} from "./verify";
export type { VerifyStatementInput, StatementVerification, VerifiedSigner, RejectedSignature, SignatureCarrier } from "./verify";
