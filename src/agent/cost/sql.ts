/**
 * The SQL of the agent's cost views, run in each tenant's own database as its own user.
 *
 * The daily rollups live in the schema `truffles_cost`, which the agent owns: days before
 * `state.settled_until` are settled (summed once from `billing_events` and the bot's replies,
 * then read from here); the days from it on are read live from the raw rows. Nothing touches
 * the bot's write path: no trigger, no buffer. A day is an Asia/Almaty calendar day.
 */

/** The instant an Almaty day starts, from a `date` parameter. */
export const START = (param: string): string => `((${param})::date::timestamp AT TIME ZONE 'Asia/Almaty')`;
const LOCAL_DAY = (col: string): string => `((${col} AT TIME ZONE 'Asia/Almaty')::date)`;

export const ENSURE = `
CREATE SCHEMA IF NOT EXISTS truffles_cost;
COMMENT ON SCHEMA truffles_cost IS 'Daily rollups of billing_events kept by the host''s truffles-agent for the console''s AI-cost views (issue 16); rebuilt from the raw rows at will.';
CREATE TABLE IF NOT EXISTS truffles_cost.state (
  id int PRIMARY KEY CHECK (id = 1),
  settled_until date NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The newest billing row seen by a settle: a row added later for a settled day (an import, a
-- late commit) is found by its id and its day summed again.
ALTER TABLE truffles_cost.state ADD COLUMN IF NOT EXISTS max_id bigint NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS truffles_cost.daily (
  day date NOT NULL,
  event_type text NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  stage text NOT NULL,
  calls bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cost_usd numeric NOT NULL,
  unpriced_calls bigint NOT NULL,
  PRIMARY KEY (day, event_type, provider, model, stage)
);
CREATE TABLE IF NOT EXISTS truffles_cost.daily_conversations (
  day date NOT NULL,
  conversation_id uuid NOT NULL,
  calls bigint NOT NULL,
  cost_usd numeric NOT NULL,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (day, conversation_id)
);
CREATE TABLE IF NOT EXISTS truffles_cost.daily_replies (
  day date NOT NULL,
  intent text NOT NULL,
  model text NOT NULL,
  replies bigint NOT NULL,
  PRIMARY KEY (day, intent, model)
);`;

/** Where settling starts when nothing is settled yet: the first day with a call or a reply. */
export const FIRST_DAY = `
SELECT LEAST(
  (SELECT ${LOCAL_DAY('min(created_at)')} FROM billing_events),
  (SELECT ${LOCAL_DAY('min(created_at)')} FROM messages WHERE direction = 'outbound' AND sender_type = 'bot')
)::text AS day`;

/** Settled days ([, $2)) that got billing rows after the last settle (ids above $1). */
export const LATE_DAYS = `
SELECT DISTINCT ${LOCAL_DAY('created_at')}::text AS day FROM billing_events
WHERE id > $1::bigint AND created_at < ${START('$2')}`;

/** Rebuild the rollups of the days [$1, $2) from the raw rows (in the caller's transaction). */
export const REBUILD = [
  `DELETE FROM truffles_cost.daily WHERE day >= $1::date AND day < $2::date`,
  `DELETE FROM truffles_cost.daily_conversations WHERE day >= $1::date AND day < $2::date`,
  `DELETE FROM truffles_cost.daily_replies WHERE day >= $1::date AND day < $2::date`,
  `INSERT INTO truffles_cost.daily
   SELECT ${LOCAL_DAY('created_at')}, event_type, model_provider, model_name, COALESCE(metadata->>'stage', ''),
          count(*), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), COALESCE(sum(cost_usd), 0),
          count(*) FILTER (WHERE cost_usd IS NULL)
   FROM billing_events WHERE created_at >= ${START('$1')} AND created_at < ${START('$2')}
   GROUP BY 1, 2, 3, 4, 5`,
  `INSERT INTO truffles_cost.daily_conversations
   SELECT ${LOCAL_DAY('created_at')}, conversation_id, count(*), COALESCE(sum(cost_usd), 0), min(created_at), max(created_at)
   FROM billing_events
   WHERE conversation_id IS NOT NULL AND created_at >= ${START('$1')} AND created_at < ${START('$2')}
   GROUP BY 1, 2`,
  `INSERT INTO truffles_cost.daily_replies
   SELECT ${LOCAL_DAY('created_at')}, COALESCE(metadata->>'intent', ''), COALESCE(metadata->>'model', ''), count(*)
   FROM messages
   WHERE direction = 'outbound' AND sender_type = 'bot' AND created_at >= ${START('$1')} AND created_at < ${START('$2')}
   GROUP BY 1, 2, 3`,
];

/**
 * Calls by day, type, provider, model and stage over [$1, $2]: settled days (< $3) from the
 * rollup, the rest live.
 */
export const USAGE = `
SELECT day::text AS day, event_type, provider, model, stage, calls::bigint AS calls,
       input_tokens::bigint AS input_tokens, output_tokens::bigint AS output_tokens,
       cost_usd::text AS usd, unpriced_calls::bigint AS unpriced, false AS live
FROM truffles_cost.daily WHERE day >= $1::date AND day <= $2::date AND day < $3::date
UNION ALL
SELECT ${LOCAL_DAY('created_at')}::text, event_type, model_provider, model_name, COALESCE(metadata->>'stage', ''),
       count(*), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), COALESCE(sum(cost_usd), 0)::text,
       count(*) FILTER (WHERE cost_usd IS NULL), true
FROM billing_events
WHERE created_at >= ${START('GREATEST($1::date, $3::date)')} AND created_at < ${START('$2::date + 1')}
GROUP BY 1, 2, 3, 4, 5`;

const QUANTILES = `ARRAY[${Array.from({ length: 101 }, (_, i) => (i / 100).toFixed(2)).join(',')}]::float8[]`;

/**
 * Conversations over [$1, $2] (settled days < $3 from the rollup): their count, 101 quantiles of
 * their cost in USD and in KZT (each day's part at its rate, $4: [{day, rate}]), how many are over
 * $5 tenge, and the ten most expensive.
 */
export const CONVERSATIONS = `
WITH r AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS r(day date, rate numeric)),
d AS (
  SELECT day, conversation_id, calls, cost_usd, first_at, last_at
  FROM truffles_cost.daily_conversations WHERE day >= $1::date AND day <= $2::date AND day < $3::date
  UNION ALL
  SELECT ${LOCAL_DAY('created_at')}, conversation_id, count(*), COALESCE(sum(cost_usd), 0), min(created_at), max(created_at)
  FROM billing_events
  WHERE conversation_id IS NOT NULL
    AND created_at >= ${START('GREATEST($1::date, $3::date)')} AND created_at < ${START('$2::date + 1')}
  GROUP BY 1, 2
),
c AS (
  SELECT d.conversation_id, sum(d.calls)::bigint AS calls, sum(d.cost_usd) AS usd,
         CASE WHEN bool_and(r.rate IS NOT NULL OR d.cost_usd = 0) THEN sum(d.cost_usd * COALESCE(r.rate, 0)) END AS kzt,
         min(d.first_at) AS first_at, max(d.last_at) AS last_at
  FROM d LEFT JOIN r ON r.day = d.day
  GROUP BY d.conversation_id
)
SELECT (SELECT count(*) FROM c)::int AS n,
       (SELECT percentile_disc(${QUANTILES}) WITHIN GROUP (ORDER BY usd) FROM c)::text[] AS usd_q,
       (SELECT CASE WHEN bool_and(kzt IS NOT NULL) THEN percentile_disc(${QUANTILES}) WITHIN GROUP (ORDER BY kzt) END FROM c)::text[] AS kzt_q,
       (SELECT CASE WHEN bool_and(kzt IS NOT NULL) THEN count(*) FILTER (WHERE kzt > $5::numeric) END FROM c)::int AS over,
       (SELECT COALESCE(jsonb_agg(t ORDER BY t.usd_n DESC), '[]'::jsonb) FROM (
          SELECT conversation_id::text AS id, calls, usd AS usd_n, usd::text AS usd, kzt::text AS kzt,
                 first_at, last_at FROM c ORDER BY usd DESC LIMIT 10) t) AS top`;

/** The bot's replies over [$1, $2] by intent and model (settled days < $3 from the rollup). */
export const REPLIES = `
SELECT intent, model, sum(replies)::bigint AS replies FROM (
  SELECT intent, model, replies FROM truffles_cost.daily_replies
  WHERE day >= $1::date AND day <= $2::date AND day < $3::date
  UNION ALL
  SELECT COALESCE(metadata->>'intent', ''), COALESCE(metadata->>'model', ''), count(*)
  FROM messages
  WHERE direction = 'outbound' AND sender_type = 'bot'
    AND created_at >= ${START('GREATEST($1::date, $3::date)')} AND created_at < ${START('$2::date + 1')}
  GROUP BY 1, 2
) x GROUP BY 1, 2`;

/**
 * Each call of [$1, $2) (instants) priced by the entries $3 ([{model, pin, pout, f, t, own}]):
 * the longest model prefix ending at a word boundary, in force at the call (a tenant's own entry
 * before the host's at the same length). Gives id, model, the stored cost and the new one.
 */
export const PRICED = `
WITH e AS (
  SELECT * FROM jsonb_to_recordset($3::jsonb)
    AS e(model text, pin numeric, pout numeric, f timestamptz, t timestamptz, own boolean, version text)
)
SELECT b.id, b.model_name, b.cost_usd AS old,
       (SELECT round((b.input_tokens * e.pin + b.output_tokens * COALESCE(e.pout, 0)) / 1000000, 12)
        FROM e
        WHERE (b.model_name = e.model
               OR (starts_with(b.model_name, e.model)
                   AND substr(b.model_name, length(e.model) + 1, 1) IN ('-', '_', '.', ':', '@', '/')))
          AND b.created_at >= e.f AND (e.t IS NULL OR b.created_at < e.t)
        ORDER BY length(e.model) DESC, e.own DESC, e.f DESC
        LIMIT 1) AS new
FROM billing_events b
WHERE b.created_at >= $1::timestamptz AND b.created_at < $2::timestamptz`;

export const REPRICE_SUMMARY = `
WITH p AS (${PRICED})
SELECT count(*)::int AS rows,
       count(*) FILTER (WHERE new IS DISTINCT FROM old)::int AS changed,
       COALESCE(sum(old), 0)::text AS old_usd, COALESCE(sum(new), 0)::text AS new_usd,
       count(*) FILTER (WHERE old IS NULL)::int AS unpriced_before,
       count(*) FILTER (WHERE new IS NULL)::int AS unpriced_after,
       COALESCE((SELECT jsonb_agg(m ORDER BY m.model) FROM (
         SELECT model_name AS model, count(*)::int AS changed, COALESCE(sum(old), 0)::text AS "oldUsd",
                COALESCE(sum(new), 0)::text AS "newUsd"
         FROM p WHERE new IS DISTINCT FROM old GROUP BY model_name) m), '[]'::jsonb) AS by_model
FROM p`;

export const REPRICE_APPLY = `
WITH p AS (${PRICED})
UPDATE billing_events b
SET cost_usd = p.new,
    metadata = b.metadata || jsonb_build_object('repriced', jsonb_build_object('version', $4::text, 'at', now(), 'old', p.old))
FROM p
WHERE b.id = p.id AND p.new IS DISTINCT FROM p.old`;
