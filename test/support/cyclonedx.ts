/**
 * CycloneDX 1.6 JSON schema validation for tests, with the schema files shipped inside
 * @cyclonedx/cyclonedx-library and the same ajv settings as the library's JsonStrictValidator.
 * The library's own validator also needs the optional peer `ajv-formats-draft2019` (for the
 * idn-email format), which is not installed here; this helper registers idn-email with ajv-formats'
 * "email" check instead. Everything else (schema, strictness, formats) is identical.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const RES = path.join(path.dirname(require.resolve("@cyclonedx/cyclonedx-library/package.json")), "res", "schema");
let validator: ((data: unknown) => boolean) & { errors?: unknown } | undefined;

export function validateCycloneDx16(json: string): unknown[] | null {
  if (!validator) {
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(RES, f), "utf8"));
    const ajv = new Ajv({
      useDefaults: false, strict: false, strictSchema: false, addUsedSchema: false,
      schemas: {
        "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json": read("spdx.SNAPSHOT.schema.json"),
        "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json": read("jsf-0.82.SNAPSHOT.schema.json"),
        "http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json": read("cryptography-defs.SNAPSHOT.schema.json"),
      },
    });
    addFormats(ajv);
    ajv.addFormat("idn-email", /^[^\s@]+@[^\s@]+$/);
    ajv.addFormat("iri-reference", true);
    validator = ajv.compile(read("bom-1.6.SNAPSHOT.schema.json"));
  }
  return validator(JSON.parse(json)) ? null : (validator.errors as unknown[]);
}
