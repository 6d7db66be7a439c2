-- Dashboard rollups (ADR 011, ADR 017): the rebuild becomes set-based. The month-by-month loop probed
-- both outcome tables once per decision (decision_fact_source) and pushed every fact through the
-- ON CONFLICT path of rollup_apply; now one statement derives all facts with hash joins against the
-- outcomes grouped once, and one GROUP BY per rollup fills the emptied tables. The per-decision path
-- (decision_fact_source, rollup_apply) stays what triggers use; the integration test ties both to the
-- raw tables.

-- The age band read from the features once (width_bucket) instead of once per band: the same bands
-- as before, about a third of the cost per decision, which the rebuild and every ingestion pay.
CREATE OR REPLACE FUNCTION rollup_age_band(features jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN jsonb_typeof(features -> 'age') IS DISTINCT FROM 'number' THEN 'unknown'
    ELSE (ARRAY['under 18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'])
           [width_bucket((features ->> 'age')::numeric, ARRAY[18, 25, 35, 45, 55, 65]::numeric[]) + 1] END
$$;

-- The facts of every decision, with the same columns and rules as decision_fact_source(ids).
CREATE FUNCTION decision_fact_source_all() RETURNS SETOF decision_fact LANGUAGE sql STABLE AS $$
  SELECT d.id, (d.decided_at AT TIME ZONE 'UTC')::date, d.region_code, d.kind, d.model_name, d.model_version, d.outcome,
         d.review_state, rollup_age_band(d.features), rollup_score_bin(d.score), d.amount, b.is_booked,
         r.n IS NOT NULL, r.first_30_at, r.first_90_at,
         CASE WHEN NOT b.is_booked THEN 0 WHEN r.n IS NULL THEN d.amount ELSE r.latest_outstanding END,
         CASE WHEN f.is_confirmed THEN 'confirmed' WHEN f.is_cleared THEN 'cleared' ELSE 'none' END,
         coalesce(f.chargebacks, 0), coalesce(f.loss_amount, 0)
    FROM decision d
    CROSS JOIN LATERAL (SELECT d.kind <> 'fraud' AND (d.outcome = 'approved' OR d.review_state = 'overturned') AS is_booked) b
    LEFT JOIN (
      SELECT decision_id, count(*) AS n,
             min(observed_at) FILTER (WHERE status IN ('late_30', 'default_90')) AS first_30_at,
             min(observed_at) FILTER (WHERE status = 'default_90') AS first_90_at,
             (array_agg(outstanding_amount ORDER BY observed_at DESC, id DESC))[1] AS latest_outstanding
        FROM repayment_outcome GROUP BY decision_id) r ON r.decision_id = d.id
    LEFT JOIN (
      SELECT decision_id,
             bool_or(outcome = 'confirmed_fraud') AS is_confirmed,
             bool_or(outcome = 'cleared') AS is_cleared,
             (count(*) FILTER (WHERE outcome = 'chargeback'))::int AS chargebacks,
             coalesce(sum(loss_amount), 0) AS loss_amount
        FROM fraud_outcome GROUP BY decision_id) f ON f.decision_id = d.id
$$;

-- Recomputes every fact and rollup from the raw tables (npm run rollups:rebuild, the seed's bulk load).
--
-- Safe while the app runs: SHARE locks on decision and both outcome tables wait for every transaction
-- already writing them to commit and hold off new writers (ingestion, reviews, outcome reports) until
-- the rebuild commits, so the rebuild reads one settled state and no write is counted twice or lost;
-- TRUNCATE holds the rollup tables exclusively, so dashboards wait for the new figures rather than read
-- half-built ones. Runs as the owner (the runtime role may neither truncate nor alter the fact table):
-- the fact table's indexes and its rollup trigger are dropped/disabled for the load and restored before
-- the function returns, all in the caller's transaction.
CREATE OR REPLACE FUNCTION rollups_rebuild() RETURNS bigint LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = public, pg_temp SET work_mem = '128MB' AS $$
DECLARE
  total bigint;
BEGIN
  LOCK TABLE decision, repayment_outcome, fraud_outcome IN SHARE MODE;
  TRUNCATE decision_fact, rollup_decision_daily, rollup_segment_monthly, rollup_score_monthly, rollup_vintage;
  ALTER TABLE decision_fact DISABLE TRIGGER decision_fact_rollups_insert;
  ALTER TABLE decision_fact DROP CONSTRAINT decision_fact_pkey;
  DROP INDEX decision_fact_day_idx;

  INSERT INTO decision_fact SELECT * FROM decision_fact_source_all();
  GET DIAGNOSTICS total = ROW_COUNT;

  INSERT INTO rollup_decision_daily (day, region_code, kind, model_name, model_version, outcome, review_state, fraud_status,
         decisions, amount_sum, booked, booked_amount, outstanding, chargebacks, loss_sum)
  SELECT f.day, f.region_code, f.kind, f.model_name, f.model_version, f.outcome, f.review_state, f.fraud_status,
         count(*), sum(f.amount), count(*) FILTER (WHERE f.is_booked), coalesce(sum(f.amount) FILTER (WHERE f.is_booked), 0),
         sum(f.outstanding), sum(f.chargebacks), sum(f.loss_amount)
    FROM decision_fact f
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

  INSERT INTO rollup_segment_monthly (month, region_code, kind, outcome, age_band, label, decisions)
  SELECT date_trunc('month', f.day)::date, f.region_code, f.kind, f.outcome, f.age_band,
         CASE WHEN f.first_30_at IS NOT NULL THEN 'bad' WHEN f.has_repayment THEN 'good' ELSE 'none' END, count(*)
    FROM decision_fact f
   GROUP BY 1, 2, 3, 4, 5, 6;

  INSERT INTO rollup_score_monthly (model_name, model_version, month, region_code, score_bin, label, decisions)
  SELECT f.model_name, f.model_version, date_trunc('month', f.day)::date, f.region_code, f.score_bin,
         CASE WHEN f.first_30_at IS NOT NULL THEN 'bad' WHEN f.has_repayment THEN 'good' ELSE 'none' END, count(*)
    FROM decision_fact f
   GROUP BY 1, 2, 3, 4, 5, 6;

  -- Months on book depend only on the vintage month and the month of the first 30+/90+ observation, so
  -- the booked facts are first counted by those months and only the counts are spread over the stages.
  INSERT INTO rollup_vintage (vintage, region_code, kind, stage, mob, decisions)
  SELECT c.vintage, c.region_code, c.kind, s.stage, s.mob, sum(c.decisions)
    FROM (SELECT date_trunc('month', f.day)::date AS vintage, f.region_code, f.kind,
                 date_trunc('month', f.first_30_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS first_30_month,
                 date_trunc('month', f.first_90_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS first_90_month,
                 count(*) AS decisions
            FROM decision_fact f
           WHERE f.is_booked
           GROUP BY 1, 2, 3, 4, 5) c
    CROSS JOIN LATERAL (VALUES (0::smallint, 0::smallint), (30::smallint, rollup_months_on_book(c.vintage, c.first_30_month)),
                               (90::smallint, rollup_months_on_book(c.vintage, c.first_90_month))) AS s(stage, mob)
   WHERE s.mob IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5;

  ALTER TABLE decision_fact ADD CONSTRAINT decision_fact_pkey PRIMARY KEY (decision_id);
  CREATE INDEX decision_fact_day_idx ON decision_fact (day);
  ALTER TABLE decision_fact ENABLE TRIGGER decision_fact_rollups_insert;
  RETURN total;
END $$;

