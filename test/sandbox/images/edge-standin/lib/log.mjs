// Logging for the Traefik stand-in, shaped like Traefik v3's default "common" log lines:
// `2024-05-01T10:00:00Z INF message key=value`. Levels as in Traefik: TRACE < DEBUG < INFO < WARN < ERROR.
// Notices about what the stand-in does NOT do are printed whatever the level (tagged `stand-in`).

/** @typedef {'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL' | 'PANIC'} Level */

const ORDER = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC'];
const SHORT = {
  TRACE: 'TRC',
  DEBUG: 'DBG',
  INFO: 'INF',
  WARN: 'WRN',
  ERROR: 'ERR',
  FATAL: 'FTL',
  PANIC: 'PNC',
};

let threshold = ORDER.indexOf('ERROR');
let json = false;

/**
 * @param {string} level
 * @param {string} [format]
 */
export function configureLog(level, format) {
  const upper = String(level || 'ERROR').toUpperCase();
  const i = ORDER.indexOf(upper === 'WARNING' ? 'WARN' : upper);
  threshold = i >= 0 ? i : ORDER.indexOf('ERROR');
  json = String(format || '').toLowerCase() === 'json';
}

/**
 * @param {Level} level
 * @param {string} msg
 * @param {Record<string, unknown>} [fields]
 * @param {boolean} [force]
 */
function write(level, msg, fields = {}, force = false) {
  if (!force && ORDER.indexOf(level) < threshold) return;
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  let line;
  if (json) {
    line = JSON.stringify({ level: level.toLowerCase(), time, ...fields, message: msg });
  } else {
    const kv = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    line = `${time} ${SHORT[level]} ${msg}${kv ? ' ' + kv : ''}`;
  }
  (ORDER.indexOf(level) >= ORDER.indexOf('WARN') ? process.stderr : process.stdout).write(line + '\n');
}

export const log = {
  /** @param {string} m @param {Record<string, unknown>} [f] */
  trace: (m, f) => write('TRACE', m, f),
  /** @param {string} m @param {Record<string, unknown>} [f] */
  debug: (m, f) => write('DEBUG', m, f),
  /** @param {string} m @param {Record<string, unknown>} [f] */
  info: (m, f) => write('INFO', m, f),
  /** @param {string} m @param {Record<string, unknown>} [f] */
  warn: (m, f) => write('WARN', m, f),
  /** @param {string} m @param {Record<string, unknown>} [f] */
  error: (m, f) => write('ERROR', m, f),
  /**
   * A limitation of the stand-in, always printed (at WARN) whatever --log.level says.
   * @param {string} m
   * @param {Record<string, unknown>} [f]
   */
  standin: (m, f) => write('WARN', m, { ...f, 'stand-in': true }, true),
  /** @param {string} level */
  enabled: (level) => ORDER.indexOf(level) >= threshold,
};
