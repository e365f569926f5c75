/*
 * Service endpoints: version, health probes (healthz, livez, readyz), cluster status and aliases
 * (one node, no aliases).
 */

import { TITLE, VERSION } from '../settings.mjs';
import { ok, sendJson, sendText } from '../http.mjs';
import { route } from '../router.mjs';

route('GET', '/', (ctx) => sendJson(ctx, 200, { title: TITLE, version: VERSION }));
route('GET', '/healthz', (ctx) => sendText(ctx, 200, 'healthz check passed'));
route('GET', '/livez', (ctx) => sendText(ctx, 200, 'healthz check passed'));
route('GET', '/readyz', (ctx) => sendText(ctx, 200, 'all shards are ready'));
route('GET', '/cluster', (ctx) => ok(ctx, { status: 'disabled' }));
route('GET', '/aliases', (ctx) => ok(ctx, { aliases: [] }));
