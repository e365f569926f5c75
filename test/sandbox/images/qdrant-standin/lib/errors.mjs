/*
 * Errors in Qdrant's words and with Qdrant's status codes (ApiErr carries the code; the server turns
 * it into `{"status":{"error":…},"time":…}`), and the checks of JSON shapes that raise them with
 * serde-like texts.
 */

export class ApiErr extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
export const notFound = (d) => new ApiErr(404, `Not found: ${d}`);
export const badInput = (d) => new ApiErr(400, `Wrong input: ${d}`);
export const badRequest = (d) => new ApiErr(400, `Bad request: ${d}`);
export const formatErr = (d) => new ApiErr(400, `Format error in JSON body: ${d}`);
export const validationErr = (d) => new ApiErr(422, `Validation error in JSON body: [${d}]`);
export const queryErr = (d) => new ApiErr(400, `Deserialize error in query parameters: ${d}`);
export const pathErr = (d) => new ApiErr(422, `Validation error in path parameters: [${d}]`);
export const serviceErr = (d) => new ApiErr(500, `Service internal error: ${d}`);
export const unsupported = (what) =>
  badRequest(
    `${what} is not supported by the Qdrant stand-in (truffles/qdrant-standin), which implements only a subset of Qdrant`,
  );
export const collectionMissing = (name) => notFound(`Collection \`${name}\` doesn't exist!`);

export function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'sequence';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  return `${typeof v} \`${String(v)}\``;
}
export function expectObject(v, what) {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw formatErr(`invalid type: ${describe(v)}, expected struct ${what}`);
  return v;
}
export function optBool(v, field) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw formatErr(`${field}: invalid type: ${describe(v)}, expected a boolean`);
  return v;
}
export function optUint(v, field, min = 0) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw formatErr(`${field}: invalid value: ${describe(v)}, expected usize`);
  }
  if (v < min) throw validationErr(`${field}: value ${v} invalid, must be ${min} or larger`);
  return v;
}
export function optNumber(v, field) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw formatErr(`${field}: invalid type: ${describe(v)}, expected f32`);
  return v;
}
