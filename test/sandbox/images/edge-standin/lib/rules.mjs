// Router rules, parsed like Traefik's: a Go-like expression of matchers joined by `&&`, `||`, `!`
// and parentheses, with `backtick` or "double-quoted" string arguments (`&&` binds tighter than `||`).
//
// Rule syntax v3 (Traefik v3's default): Host, HostRegexp, Path, PathPrefix, PathRegexp, Method,
// Header, HeaderRegexp, Query, QueryRegexp, ClientIP, each with its fixed number of arguments, so
// `Host(\`a\`, \`b\`)` is an ERROR in v3 (as in real Traefik v3: "unexpected number of parameters");
// write `Host(\`a\`) || Host(\`b\`)`. Rule syntax v2 (router label `ruleSyntax=v2` or
// --core.defaultRuleSyntax=v2): Host/HostHeader/Path/PathPrefix/Method/ClientIP take several
// arguments, Headers/HeadersRegexp two; v2's HostRegexp templates (`{sub:[a-z]+}`) are not supported.

import net from 'node:net';

/**
 * What a matcher looks at.
 * @typedef {{ host: string, path: string, method: string, headers: Record<string, string | string[] | undefined>,
 *   query: URLSearchParams, clientIp: string }} MatchContext
 * @typedef {(ctx: MatchContext) => boolean} Matcher
 */

/** @typedef {{ t: 'op', v: string } | { t: 'ident', v: string } | { t: 'str', v: string } | { t: 'punct', v: string }} Token */

/** @param {string} src @returns {Token[]} */
function tokenize(src) {
  /** @type {Token[]} */
  const out = [];
  let i = 0;
  while (i < src.length) {
    const c = /** @type {string} */ (src[i]);
    if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('&&', i) || src.startsWith('||', i)) {
      out.push({ t: 'op', v: src.slice(i, i + 2) });
      i += 2;
    } else if (c === '!' || c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c });
      i++;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new Error('raw string literal not terminated');
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === '\\') {
          const n = src[++j];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '');
        } else s += src[j];
      }
      if (j >= src.length) throw new Error('string literal not terminated');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_]/.test(/** @type {string} */ (src[j]))) j++;
      out.push({ t: 'ident', v: src.slice(i, j) });
      i = j;
    } else {
      throw new Error(`illegal character ${JSON.stringify(c)} at position ${i}`);
    }
  }
  return out;
}

/** Go regexp -> JS RegExp (a leading `(?i)` becomes the i flag). @param {string} re */
function goRegexp(re) {
  let flags = '';
  let src = re;
  if (src.startsWith('(?i)')) {
    flags = 'i';
    src = src.slice(4);
  }
  return new RegExp(src, flags);
}

/** @param {MatchContext} ctx @param {string} name */
function headerValues(ctx, name) {
  const v = ctx.headers[name.toLowerCase()];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** @param {string} host @param {string} reqHost */
function hostEquals(host, reqHost) {
  if (!reqHost) return false;
  if (reqHost === host) return true;
  if (host.endsWith('.') && reqHost === host.slice(0, -1)) return true;
  if (reqHost.endsWith('.') && reqHost.slice(0, -1) === host) return true;
  return false;
}

/** @param {string} h */
function checkAscii(h, name = 'Host') {
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(h))
    throw new Error(`invalid value "${h}" for ${name} matcher, non-ASCII characters are not allowed`);
}

/** @param {string[]} cidrs */
function ipChecker(cidrs) {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const type = net.isIPv6(addr ?? '') ? 'ipv6' : 'ipv4';
    if (!net.isIP(addr ?? '')) throw new Error(`invalid IP or CIDR: ${c}`);
    if (bits === undefined) list.addAddress(/** @type {string} */ (addr), type);
    else list.addSubnet(/** @type {string} */ (addr), Number(bits), type);
  }
  return (/** @type {string} */ ip) => {
    const a = ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
    if (!net.isIP(a)) return false;
    return list.check(a, net.isIPv6(a) ? 'ipv6' : 'ipv4');
  };
}
export { ipChecker };

/** @typedef {{ arity: number[] | 'n', build: (args: string[]) => Matcher }} MatcherDef */

/** @type {Record<string, MatcherDef>} */
const V3 = {
  Host: {
    arity: [1],
    build: ([h = '']) => {
      checkAscii(h);
      const host = h.toLowerCase();
      return (ctx) => hostEquals(host, ctx.host);
    },
  },
  HostRegexp: {
    arity: [1],
    build: ([re = '']) => {
      checkAscii(re, 'HostRegexp');
      const r = goRegexp(re);
      return (ctx) => r.test(ctx.host);
    },
  },
  Path: {
    arity: [1],
    build: ([p = '']) => {
      if (!p.startsWith('/')) throw new Error(`path "${p}" does not start with a '/'`);
      return (ctx) => ctx.path === p;
    },
  },
  PathPrefix: {
    arity: [1],
    build: ([p = '']) => {
      if (!p.startsWith('/')) throw new Error(`path "${p}" does not start with a '/'`);
      return (ctx) => ctx.path.startsWith(p);
    },
  },
  PathRegexp: {
    arity: [1],
    build: ([re = '']) => {
      const r = goRegexp(re);
      return (ctx) => r.test(ctx.path);
    },
  },
  Method: {
    arity: [1],
    build: ([m = '']) => {
      const method = m.toUpperCase();
      return (ctx) => ctx.method === method;
    },
  },
  Header: {
    arity: [2],
    build:
      ([k = '', v = '']) =>
      (ctx) =>
        headerValues(ctx, k).includes(v),
  },
  HeaderRegexp: {
    arity: [2],
    build: ([k = '', re = '']) => {
      const r = goRegexp(re);
      return (ctx) => headerValues(ctx, k).some((x) => r.test(x));
    },
  },
  Query: {
    arity: [1, 2],
    build:
      ([k = '', v = '']) =>
      (ctx) =>
        ctx.query.has(k) && ctx.query.getAll(k).includes(v),
  },
  QueryRegexp: {
    arity: [1, 2],
    build: (args) => {
      if (args.length === 1) return V3.Query.build(args);
      const [k = '', re = ''] = args;
      const r = goRegexp(re);
      return (ctx) => ctx.query.getAll(k).some((x) => r.test(x));
    },
  },
  ClientIP: {
    arity: [1],
    build: (cidrs) => {
      const check = ipChecker(cidrs);
      return (ctx) => check(ctx.clientIp);
    },
  },
};

/** @param {(arg: string) => Matcher} one @returns {(args: string[]) => Matcher} */
const anyOf = (one) => (args) => {
  const ms = args.map(one);
  return (ctx) => ms.some((m) => m(ctx));
};

/** @type {Record<string, MatcherDef>} */
const V2 = {
  Host: { arity: 'n', build: anyOf((h) => V3.Host.build([h])) },
  HostHeader: { arity: 'n', build: anyOf((h) => V3.Host.build([h])) },
  Path: { arity: 'n', build: anyOf((p) => V3.Path.build([p])) },
  PathPrefix: { arity: 'n', build: anyOf((p) => V3.PathPrefix.build([p])) },
  Method: { arity: 'n', build: anyOf((m) => V3.Method.build([m])) },
  ClientIP: { arity: 'n', build: (args) => V3.ClientIP.build(args) },
  Headers: { arity: [2], build: (args) => V3.Header.build(args) },
  HeadersRegexp: { arity: [2], build: (args) => V3.HeaderRegexp.build(args) },
  Query: {
    arity: 'n',
    build: (args) => {
      const ms = args.map((kv) => {
        const [k = '', v = ''] = kv.split('=', 2);
        return V3.Query.build([k, v]);
      });
      return (ctx) => ms.every((m) => m(ctx));
    },
  },
};

/**
 * Compiles a rule; throws an Error with a Traefik-like message when it is invalid.
 * @param {string} rule
 * @param {string} [syntax] 'v3' (default) or 'v2'
 * @returns {Matcher}
 */
export function compileRule(rule, syntax = 'v3') {
  const table = syntax === 'v2' ? V2 : V3;
  const toks = tokenize(rule);
  let pos = 0;
  const peek = () => toks[pos];
  const expect = (/** @type {string} */ v) => {
    const t = toks[pos];
    if (!t || t.v !== v || t.t === 'str') throw new Error(`expected ${v} at token ${pos + 1}`);
    pos++;
  };

  /** @returns {Matcher} */
  function parseOr() {
    let left = parseAnd();
    while (peek()?.t === 'op' && peek()?.v === '||') {
      pos++;
      const l = left;
      const r = parseAnd();
      left = (ctx) => l(ctx) || r(ctx);
    }
    return left;
  }
  /** @returns {Matcher} */
  function parseAnd() {
    let left = parseUnary();
    while (peek()?.t === 'op' && peek()?.v === '&&') {
      pos++;
      const l = left;
      const r = parseUnary();
      left = (ctx) => l(ctx) && r(ctx);
    }
    return left;
  }
  /** @returns {Matcher} */
  function parseUnary() {
    const t = peek();
    if (t?.t === 'punct' && t.v === '!') {
      pos++;
      const inner = parseUnary();
      return (ctx) => !inner(ctx);
    }
    if (t?.t === 'punct' && t.v === '(') {
      pos++;
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (t?.t === 'ident') {
      pos++;
      const def = table[t.v];
      if (!def) {
        if (syntax === 'v2' && t.v === 'HostRegexp') {
          throw new Error('HostRegexp with rule syntax v2 is not implemented by the stand-in');
        }
        throw new Error(`unsupported function: ${t.v}`);
      }
      expect('(');
      /** @type {string[]} */
      const args = [];
      if (!(peek()?.t === 'punct' && peek()?.v === ')')) {
        for (;;) {
          const a = toks[pos++];
          if (!a || a.t !== 'str') throw new Error(`${t.v}: arguments must be strings`);
          args.push(a.v);
          if (peek()?.t === 'punct' && peek()?.v === ',') {
            pos++;
            continue;
          }
          break;
        }
      }
      expect(')');
      if (def.arity === 'n' ? args.length === 0 : !def.arity.includes(args.length)) {
        const want = def.arity === 'n' ? 'at least one' : `one of [${def.arity.join(' ')}]`;
        throw new Error(
          `error while adding rule ${t.v}: unexpected number of parameters; got ${args.length}, expected ${want}`,
        );
      }
      return def.build(args);
    }
    throw new Error(`unexpected ${t ? JSON.stringify(t.v) : 'end of rule'}`);
  }

  if (toks.length === 0) throw new Error('empty rule');
  const m = parseOr();
  if (pos !== toks.length)
    throw new Error(`unexpected ${JSON.stringify(toks[pos]?.v)} after the end of the expression`);
  return m;
}

/**
 * Hosts named by Host(...) matchers of a rule (for logs and the default certificate notice).
 * @param {string} rule
 */
export function ruleHosts(rule) {
  const out = [];
  const re = /Host(?:Header)?\(([^)]*)\)/g;
  let m;
  while ((m = re.exec(rule))) {
    for (const a of (m[1] ?? '').matchAll(/`([^`]*)`|"([^"]*)"/g)) out.push(a[1] ?? a[2] ?? '');
  }
  return out;
}
