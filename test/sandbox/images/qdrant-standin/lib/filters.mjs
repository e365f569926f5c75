/*
 * Filters: a Qdrant filter (must / should / must_not / min_should, nested filters and conditions)
 * compiled once into a predicate over points ({id, vector, payload}). Everything is a scan: payload
 * indexes change nothing here.
 */

import { describe, expectObject, formatErr, optUint, validationErr } from './errors.mjs';
import { geoPoint, haversine, inRing } from './geo.mjs';
import { keyOf, parseIdList } from './ids.mjs';
import { flatValues, parsePath, rawValues } from './payload.mjs';

function compileMatch(m, where) {
  expectObject(m, 'Match');
  if ('value' in m) {
    const v = m.value;
    if (!['string', 'number', 'boolean'].includes(typeof v))
      throw formatErr(`${where}: data did not match any variant of untagged enum ValueVariants`);
    return (vals) => vals.some((x) => x === v);
  }
  if ('any' in m) {
    if (!Array.isArray(m.any))
      throw formatErr(`${where}.any: data did not match any variant of untagged enum AnyVariants`);
    const s = new Set(m.any);
    return (vals) => vals.some((x) => s.has(x));
  }
  if ('except' in m) {
    if (!Array.isArray(m.except))
      throw formatErr(`${where}.except: data did not match any variant of untagged enum AnyVariants`);
    const s = new Set(m.except);
    return (vals) => vals.length === 0 || vals.some((x) => !s.has(x));
  }
  if ('text' in m || 'phrase' in m) {
    const t = String(m.text ?? m.phrase);
    return (vals) => vals.some((x) => typeof x === 'string' && x.includes(t));
  }
  if ('text_any' in m) {
    const toks = String(m.text_any).split(/\s+/).filter(Boolean);
    return (vals) => vals.some((x) => typeof x === 'string' && toks.some((t) => x.includes(t)));
  }
  throw formatErr(`${where}: data did not match any variant of untagged enum Match`);
}
function compileRange(r, where) {
  expectObject(r, 'RangeInterface');
  const keys = ['lt', 'gt', 'gte', 'lte'].filter((k) => r[k] !== undefined && r[k] !== null);
  const isDate = keys.some((k) => typeof r[k] === 'string');
  const b = {};
  for (const k of keys) {
    const n = isDate ? Date.parse(r[k]) : r[k];
    if (typeof n !== 'number' || Number.isNaN(n))
      throw formatErr(`${where}.${k}: data did not match any variant of untagged enum RangeInterface`);
    b[k] = n;
  }
  return (vals) =>
    vals.some((x) => {
      const n = isDate ? (typeof x === 'string' ? Date.parse(x) : NaN) : typeof x === 'number' ? x : NaN;
      if (Number.isNaN(n)) return false;
      return (
        (b.lt === undefined || n < b.lt) &&
        (b.gt === undefined || n > b.gt) &&
        (b.gte === undefined || n >= b.gte) &&
        (b.lte === undefined || n <= b.lte)
      );
    });
}
function compileCount(r, where) {
  expectObject(r, 'ValuesCount');
  for (const k of ['lt', 'gt', 'gte', 'lte']) optUint(r[k], `${where}.${k}`);
  return (vals) => {
    const n = vals.length;
    return (
      (r.lt == null || n < r.lt) &&
      (r.gt == null || n > r.gt) &&
      (r.gte == null || n >= r.gte) &&
      (r.lte == null || n <= r.lte)
    );
  };
}
function compileField(c, where) {
  if (typeof c.key !== 'string')
    throw formatErr(`${where}.key: invalid type: ${describe(c.key)}, expected a string`);
  const segs = parsePath(c.key);
  const checks = [];
  if (c.match != null) {
    const f = compileMatch(c.match, `${where}.match`);
    checks.push((vals) => f(vals));
  }
  if (c.range != null) {
    const f = compileRange(c.range, `${where}.range`);
    checks.push((vals) => f(vals));
  }
  if (c.values_count != null) {
    const f = compileCount(c.values_count, `${where}.values_count`);
    checks.push((vals) => f(vals));
  }
  if (c.geo_bounding_box != null) {
    const tl = geoPoint(c.geo_bounding_box.top_left);
    const br = geoPoint(c.geo_bounding_box.bottom_right);
    if (!tl || !br)
      throw formatErr(`${where}.geo_bounding_box: missing field \`top_left\` or \`bottom_right\``);
    checks.push((vals) =>
      vals.some((v) => {
        const p = geoPoint(v);
        if (!p || p.lat > tl.lat || p.lat < br.lat) return false;
        return tl.lon <= br.lon ? p.lon >= tl.lon && p.lon <= br.lon : p.lon >= tl.lon || p.lon <= br.lon;
      }),
    );
  }
  if (c.geo_radius != null) {
    const center = geoPoint(c.geo_radius.center);
    const radius = c.geo_radius.radius;
    if (!center || typeof radius !== 'number')
      throw formatErr(`${where}.geo_radius: missing field \`center\` or \`radius\``);
    checks.push((vals) => vals.some((v) => geoPoint(v) && haversine(center, v) <= radius));
  }
  if (c.geo_polygon != null) {
    const ext = c.geo_polygon.exterior && c.geo_polygon.exterior.points;
    if (!Array.isArray(ext) || !ext.every(geoPoint))
      throw formatErr(`${where}.geo_polygon: missing field \`exterior\``);
    const holes = (c.geo_polygon.interiors || []).map((r) => r.points || []);
    checks.push((vals) =>
      vals.some((v) => geoPoint(v) && inRing(v, ext) && !holes.some((h) => inRing(v, h))),
    );
  }
  if (c.is_empty != null) {
    const want = !!c.is_empty;
    checks.push((vals) => (vals.length === 0) === want);
  }
  if (c.is_null != null) {
    const want = !!c.is_null;
    checks.push((vals, raw) => raw.some((x) => x === null) === want);
  }
  if (!checks.length) throw validationErr(`${where}: At least one field condition must be specified`);
  return (p) => {
    const raw = rawValues(p.payload, segs);
    const vals = flatValues(raw);
    return checks.every((ch) => ch(vals, raw));
  };
}
function compileCondition(c, where) {
  if (!c || typeof c !== 'object' || Array.isArray(c))
    throw formatErr(`${where}: data did not match any variant of untagged enum Condition`);
  if ('key' in c) return compileField(c, where);
  if ('has_id' in c) {
    const s = new Set(parseIdList(c.has_id, `${where}.has_id`).map(keyOf));
    return (p) => s.has(keyOf(p.id));
  }
  if ('is_empty' in c || 'is_null' in c) {
    const which = 'is_empty' in c ? 'is_empty' : 'is_null';
    const key = c[which] && c[which].key;
    if (typeof key !== 'string') throw formatErr(`${where}.${which}: missing field \`key\``);
    const segs = parsePath(key);
    if (which === 'is_empty') return (p) => flatValues(rawValues(p.payload, segs)).length === 0;
    return (p) => rawValues(p.payload, segs).some((x) => x === null);
  }
  if ('has_vector' in c) {
    const name = c.has_vector;
    if (typeof name !== 'string') throw formatErr(`${where}.has_vector: invalid type, expected a string`);
    return (p) =>
      typeof p.vector === 'object' && !Array.isArray(p.vector)
        ? p.vector && name in p.vector
        : name === '' && !!p.vector;
  }
  if ('nested' in c) {
    const n = expectObject(c.nested, 'Nested');
    if (typeof n.key !== 'string') throw formatErr(`${where}.nested: missing field \`key\``);
    const segs = parsePath(n.key);
    const inner = compileFilter(n.filter, `${where}.nested.filter`) || (() => true);
    return (p) =>
      flatValues(rawValues(p.payload, segs)).some(
        (v) =>
          v && typeof v === 'object' && !Array.isArray(v) && inner({ id: p.id, vector: null, payload: v }),
      );
  }
  if (Object.keys(c).length === 0 || 'must' in c || 'should' in c || 'must_not' in c || 'min_should' in c) {
    return compileFilter(c, where) || (() => true);
  }
  throw formatErr(`${where}: data did not match any variant of untagged enum Condition`);
}
/** A filter as a predicate over points ({id, vector, payload}); null when there is none. */
export function compileFilter(f, where = 'filter') {
  if (f === undefined || f === null) return null;
  expectObject(f, 'Filter');
  const list = (x, w) =>
    x == null
      ? []
      : Array.isArray(x)
        ? x.map((c, i) => compileCondition(c, `${w}[${i}]`))
        : [compileCondition(x, w)];
  const must = list(f.must, `${where}.must`);
  const should = list(f.should, `${where}.should`);
  const mustNot = list(f.must_not, `${where}.must_not`);
  let minShould = null;
  if (f.min_should != null) {
    const ms = expectObject(f.min_should, 'MinShould');
    if (!Array.isArray(ms.conditions)) throw formatErr(`${where}.min_should: missing field \`conditions\``);
    minShould = {
      conds: ms.conditions.map((c, i) => compileCondition(c, `${where}.min_should.conditions[${i}]`)),
      n: optUint(ms.min_count, `${where}.min_should.min_count`) ?? 0,
    };
  }
  return (p) => {
    for (const c of must) if (!c(p)) return false;
    if (should.length && !should.some((c) => c(p))) return false;
    for (const c of mustNot) if (c(p)) return false;
    if (minShould) {
      let k = 0;
      for (const c of minShould.conds) if (c(p)) k++;
      if (k < minShould.n) return false;
    }
    return true;
  };
}
