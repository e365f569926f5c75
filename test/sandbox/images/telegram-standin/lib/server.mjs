/*
 * The Telegram Bot API STAND-IN's server (NOT Telegram): `start()` serves the Bot API's wire
 * protocol for getMe and sendMessage on an HTTP port, and a control API for tests under
 * /__standin/. See ../README.md for what is and is not reproduced.
 *
 * Bot API (https://core.telegram.org/bots/api): `GET|POST /bot<token>/<method>`, parameters from
 * the query string, a JSON body or a form body (application/x-www-form-urlencoded). Answers
 * `{"ok":true,"result":…}` or `{"ok":false,"error_code":N,"description":"…","parameters":{…}}`
 * with HTTP status N, as Telegram does.
 */

import http from 'node:http';
import { HtmlError, parseHtml } from './html.mjs';

export const DEFAULT_TOKEN = '123456789:AAStandInTokenForTestsOnly-0123456789';
const MAX_BODY = 1024 * 1024;
const MAX_TEXT = 4096;
const BAD_GATEWAY =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n';

class ApiError extends Error {
  constructor(code, description, parameters) {
    super(description);
    this.code = code;
    this.parameters = parameters;
  }
}

function freshMode() {
  return {
    // 429 for every API call until this time, with this retry_after (null: the seconds left)
    tooManyUntil: 0,
    retryAfter: null,
    // the next K API calls fail: 500 (JSON), 502 (nginx's HTML page) or 'reset' (socket destroyed)
    failNext: 0,
    failWith: 500,
    // chats that answer 403 (blocked the bot) / 400 chat not found / 400 migrated
    blockedChats: [],
    missingChats: [],
    migratedChats: {},
    // a real-like flood limit: a second message to one chat sooner than this gets 429 retry_after 1
    minIntervalMs: 0,
  };
}

function chatType(id) {
  if (typeof id === 'string' && id.startsWith('@')) return 'channel';
  const n = Number(id);
  if (n > 0) return 'private';
  return n <= -1000000000000 ? 'supergroup' : 'group';
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new ApiError(413, 'Request Entity Too Large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readParams(req, url) {
  const params = Object.fromEntries(url.searchParams);
  if (req.method !== 'POST') return params;
  const body = await readBody(req);
  const ct = String(req.headers['content-type'] || '').toLowerCase();
  if (!body) return params;
  if (ct.startsWith('application/json')) {
    let o;
    try {
      o = JSON.parse(body);
    } catch {
      throw new ApiError(400, "Bad Request: can't parse JSON object");
    }
    if (!o || typeof o !== 'object' || Array.isArray(o))
      throw new ApiError(400, "Bad Request: can't parse JSON object");
    return { ...params, ...o };
  }
  if (ct.startsWith('application/x-www-form-urlencoded'))
    return { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
  if (ct.startsWith('multipart/form-data'))
    throw new ApiError(400, 'Bad Request: multipart/form-data is not implemented by this stand-in');
  return params;
}

const asBool = (v) => v === true || v === 'true' || v === 1 || v === '1';

/**
 * Start the stand-in. Options: port (0: any free one), host (127.0.0.1), token (the one valid
 * bot token), quiet (no log line). Resolves to {url, port, token, close, messages, requests,
 * setMode, reset}.
 */
export async function start({ port = 0, host = '127.0.0.1', token = DEFAULT_TOKEN, quiet = true } = {}) {
  const botId = Number(token.split(':')[0]) || 1;
  const me = {
    id: botId,
    is_bot: true,
    first_name: 'Truffles stand-in bot',
    username: 'truffles_standin_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
  };
  let mode = freshMode();
  let messages = [];
  let requests = [];
  const nextId = new Map();
  const lastAt = new Map();

  function sendMessage(p) {
    const chat = p.chat_id === undefined || p.chat_id === null ? '' : String(p.chat_id).trim();
    if (!chat) throw new ApiError(400, 'Bad Request: chat_id is empty');
    if (!/^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$/.test(chat))
      throw new ApiError(400, 'Bad Request: chat not found');
    if (mode.missingChats.map(String).includes(chat)) throw new ApiError(400, 'Bad Request: chat not found');
    if (Object.hasOwn(mode.migratedChats, chat))
      throw new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', {
        migrate_to_chat_id: Number(mode.migratedChats[chat]),
      });
    if (mode.blockedChats.map(String).includes(chat)) {
      throw new ApiError(
        403,
        chatType(chat) === 'private'
          ? 'Forbidden: bot was blocked by the user'
          : 'Forbidden: bot was kicked from the group chat',
      );
    }
    const raw = p.text === undefined || p.text === null ? '' : String(p.text);
    const parseMode = p.parse_mode ? String(p.parse_mode) : '';
    let parsed = { text: raw, entities: [] };
    if (parseMode.toLowerCase() === 'html') {
      try {
        parsed = parseHtml(raw);
      } catch (e) {
        if (e instanceof HtmlError)
          throw new ApiError(400, `Bad Request: can't parse entities: ${e.message}`);
        throw e;
      }
    } else if (parseMode) {
      throw new ApiError(400, `Bad Request: parse_mode "${parseMode}" is not implemented by this stand-in`);
    }
    // Telegram trims the text and refuses an empty one
    const lead = parsed.text.length - parsed.text.trimStart().length;
    const text = parsed.text.trim();
    if (!text) throw new ApiError(400, 'Bad Request: message text is empty');
    if (text.length > MAX_TEXT) throw new ApiError(400, 'Bad Request: message is too long');
    const type = chatType(chat);
    const thread =
      p.message_thread_id === undefined || p.message_thread_id === '' ? null : Number(p.message_thread_id);
    if (thread !== null && (!Number.isInteger(thread) || thread <= 0 || type !== 'supergroup'))
      throw new ApiError(400, 'Bad Request: message thread not found');
    const now = Date.now();
    if (mode.minIntervalMs > 0 && now - (lastAt.get(chat) ?? -Infinity) < mode.minIntervalMs)
      throw new ApiError(429, 'Too Many Requests: retry after 1', { retry_after: 1 });
    lastAt.set(chat, now);
    const id = (nextId.get(chat) ?? 0) + 1;
    nextId.set(chat, id);
    const entities = parsed.entities
      .map((e) => ({ ...e, offset: e.offset - lead }))
      .filter((e) => e.offset >= 0 && e.offset < text.length);
    const chatObj =
      type === 'private'
        ? { id: Number(chat), first_name: 'Stand-in user', type }
        : { id: type === 'channel' ? -1001000000000 : Number(chat), title: `Stand-in ${type}`, type };
    const message = {
      message_id: id,
      from: { id: me.id, is_bot: true, first_name: me.first_name, username: me.username },
      chat: chatObj,
      date: Math.floor(now / 1000),
      text,
      ...(entities.length ? { entities } : {}),
      ...(thread !== null ? { message_thread_id: thread, is_topic_message: true } : {}),
    };
    messages.push({
      chat_id: chat,
      message_thread_id: thread,
      message_id: id,
      text,
      html: parseMode ? raw : null,
      parse_mode: parseMode || null,
      disable_notification: asBool(p.disable_notification),
      receivedAt: now,
    });
    return message;
  }

  const methods = { getme: () => me, sendmessage: sendMessage };

  function reply(res, status, obj) {
    const body = JSON.stringify(obj);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function control(req, res, url) {
    const what = url.pathname.slice('/__standin/'.length);
    if (what === 'messages' && req.method === 'GET') {
      const chat = url.searchParams.get('chat_id');
      return reply(res, 200, { messages: chat ? messages.filter((m) => m.chat_id === chat) : messages });
    }
    if (what === 'requests' && req.method === 'GET') return reply(res, 200, { requests });
    if (what === 'mode' && req.method === 'GET') return reply(res, 200, { mode });
    if (what === 'mode' && req.method === 'POST') {
      const body = await readBody(req);
      let change;
      try {
        change = JSON.parse(body || '{}');
      } catch {
        return reply(res, 400, { error: 'the mode is a JSON object' });
      }
      try {
        setMode(change);
      } catch (e) {
        return reply(res, 400, { error: e.message });
      }
      return reply(res, 200, { mode });
    }
    if (what === 'reset' && req.method === 'POST') {
      reset();
      return reply(res, 200, { reset: true });
    }
    return reply(res, 404, { error: `no control ${req.method} /__standin/${what}` });
  }

  function setMode(change) {
    const c = { ...change };
    if (c.tooManyRequests) {
      const { forMs = 60_000, retryAfter = null } = c.tooManyRequests;
      mode.tooManyUntil = Date.now() + Number(forMs);
      mode.retryAfter = retryAfter === null ? null : Number(retryAfter);
      delete c.tooManyRequests;
    }
    for (const k of Object.keys(c))
      if (!Object.hasOwn(mode, k)) throw new Error(`unknown stand-in mode "${k}"`);
    mode = { ...mode, ...c };
  }

  function reset() {
    mode = freshMode();
    messages = [];
    requests = [];
    nextId.clear();
    lastAt.clear();
  }

  async function api(req, res, url, m) {
    const [, tok, methodName] = m;
    const entry = { at: Date.now(), method: methodName, status: 200, chat_id: null };
    requests.push(entry);
    try {
      if (tok !== token) throw new ApiError(401, 'Unauthorized');
      const fn = methods[methodName.toLowerCase()];
      if (!fn) throw new ApiError(404, 'Not Found');
      const params = await readParams(req, url);
      entry.chat_id = params.chat_id === undefined ? null : String(params.chat_id);
      if (mode.failNext > 0) {
        mode.failNext--;
        entry.status = mode.failWith;
        if (mode.failWith === 'reset') return void req.socket.destroy();
        if (Number(mode.failWith) === 502) {
          res.writeHead(502, { 'content-type': 'text/html' });
          return void res.end(BAD_GATEWAY);
        }
        throw new ApiError(Number(mode.failWith) || 500, 'Internal Server Error');
      }
      const left = mode.tooManyUntil - Date.now();
      if (left > 0) {
        const retry = mode.retryAfter ?? Math.max(1, Math.ceil(left / 1000));
        throw new ApiError(429, `Too Many Requests: retry after ${retry}`, { retry_after: retry });
      }
      reply(res, 200, { ok: true, result: fn(params) });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      entry.status = e.code;
      reply(res, e.code, {
        ok: false,
        error_code: e.code,
        description: e.message,
        ...(e.parameters ? { parameters: e.parameters } : {}),
      });
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url || '/', 'http://standin');
    const handle = async () => {
      if (url.pathname.startsWith('/__standin/')) return control(req, res, url);
      const m = /^\/bot([^/]*)\/([A-Za-z]+)$/.exec(url.pathname);
      if (m) return api(req, res, url, m);
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('Telegram Bot API STAND-IN for Truffles tests (NOT Telegram)\n');
      }
      reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    };
    handle().catch((e) => {
      if (!res.headersSent)
        reply(res, e instanceof ApiError ? e.code : 500, {
          ok: false,
          error_code: 500,
          description: String(e.message),
        });
      else res.destroy();
    });
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  if (!quiet)
    process.stdout.write(`Telegram Bot API STAND-IN (NOT Telegram) listening on ${url} (bot id ${botId})\n`);
  return {
    url,
    port: addr.port,
    token,
    messages: () => messages.slice(),
    requests: () => requests.slice(),
    setMode,
    reset,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
