/**
 * CycloneDX 1.6 validation for tests: the library's own JsonStrictValidator (schema files shipped
 * in @cyclonedx/cyclonedx-library, ajv + ajv-formats + ajv-formats-draft2019).
 * Resolves to null when valid, else the validator's errors.
 */
import * as CDX from "@cyclonedx/cyclonedx-library";

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

export async function validateCycloneDx16(json: string): Promise<unknown> {
  return (await validator.validate(json)) ?? null;
}
