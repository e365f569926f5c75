-- core_chat 002: exact AI cost (issue 16).
--
-- numeric(10, 6) rounded a short embedding call to zero (20 tokens of text-embedding-3-small is
-- $0.0000004). Costs are kept to 12 decimal places now: every price of the table has at most six,
-- and a cost is tokens × price / 10^6. Widening keeps every existing value as it was.
--
-- Nothing here is on the bot's write path beyond the column's type: the daily rollups the cost
-- views read are kept by the host's agent (schema truffles_cost), not by a trigger.
ALTER TABLE billing_events ALTER COLUMN cost_usd TYPE numeric(20, 12);

COMMENT ON COLUMN billing_events.cost_usd IS
  'USD of the call, exact to 12 decimal places (tokens × the price per 1M in force at the call / 10^6); NULL when the model has no price (unpriced, not free). Re-pricing a period rewrites it, audited.';
