/*
 * The route table: `route(method, '/a/{param}/b', handler)` registers, matchRoute finds the first
 * route whose method and segments match. The modules in routes/ register themselves on import.
 */

const routes = [];
export function route(method, pattern, handler) {
  routes.push({ method, segs: pattern.split('/').slice(1), handler });
}
export function matchRoute(method, segs) {
  for (const r of routes) {
    if (r.method !== method || r.segs.length !== segs.length) continue;
    const params = {};
    let okm = true;
    for (let i = 0; i < segs.length; i++) {
      const p = r.segs[i];
      if (p.startsWith('{')) params[p.slice(1, -1)] = segs[i];
      else if (p !== segs[i]) {
        okm = false;
        break;
      }
    }
    if (okm) return { handler: r.handler, params };
  }
  return null;
}
