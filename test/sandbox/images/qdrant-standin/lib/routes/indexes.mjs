/*
 * Payload index endpoints: create (type given, or inferred from the stored values as Qdrant does)
 * and delete. Indexes are recorded and shown in payload_schema; filtering does not use them.
 */

import { INDEX_TYPES } from '../settings.mjs';
import { badInput, expectObject, formatErr } from '../errors.mjs';
import { geoPoint } from '../geo.mjs';
import { flatValues, parsePath, rawValues } from '../payload.mjs';
import { getCol, withLock } from '../store.mjs';
import { qBool, readJson, updateResult } from '../http.mjs';
import { route } from '../router.mjs';

route('PUT', '/collections/{name}/index', async (ctx, { name }) => {
  qBool(ctx.query, 'wait');
  const body = expectObject(await readJson(ctx), 'CreateFieldIndex');
  if (typeof body.field_name !== 'string') throw formatErr('missing field `field_name`');
  let fsch = body.field_schema;
  if (fsch !== undefined && fsch !== null) {
    const type = typeof fsch === 'string' ? fsch : fsch && typeof fsch === 'object' ? fsch.type : undefined;
    if (!INDEX_TYPES.includes(type)) {
      throw formatErr(
        `field_schema: unknown variant \`${type}\`, expected one of ${INDEX_TYPES.map((t) => `\`${t}\``).join(', ')}`,
      );
    }
  }
  const opId = await withLock(name, async () => {
    const col = getCol(name);
    if (fsch === undefined || fsch === null) {
      // Like Qdrant: infer the type from the stored values.
      const segs = parsePath(body.field_name);
      let v;
      for (const p of col.points.values()) {
        v = flatValues(rawValues(p.payload, segs))[0];
        if (v !== undefined) break;
      }
      fsch =
        typeof v === 'string'
          ? 'keyword'
          : typeof v === 'boolean'
            ? 'bool'
            : typeof v === 'number'
              ? Number.isInteger(v)
                ? 'integer'
                : 'float'
              : geoPoint(v)
                ? 'geo'
                : null;
      if (!fsch)
        throw badInput(
          `Cannot infer field type of \`${body.field_name}\`: no values found, specify field_schema`,
        );
    }
    col.meta.payload_schema = { ...col.meta.payload_schema, [body.field_name]: { field_schema: fsch } };
    await col.writeMeta();
    col.seq += 1; // an operation id of its own, as in Qdrant
    return col.seq;
  });
  updateResult(ctx, opId);
});

route('DELETE', '/collections/{name}/index/{field}', async (ctx, { name, field }) => {
  qBool(ctx.query, 'wait');
  const opId = await withLock(name, async () => {
    const col = getCol(name);
    if (col.meta.payload_schema[field]) {
      const schema = { ...col.meta.payload_schema };
      delete schema[field];
      col.meta.payload_schema = schema;
      await col.writeMeta();
    }
    col.seq += 1;
    return col.seq;
  });
  updateResult(ctx, opId);
});
