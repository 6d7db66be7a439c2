-- CreateTable
CREATE TABLE "decision_fact" (
    "decision_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "kind" "DecisionKind" NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "outcome" "DecisionOutcome" NOT NULL,
    "review_state" "ReviewState" NOT NULL,
    "age_band" TEXT NOT NULL,
    "score_bin" SMALLINT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "is_booked" BOOLEAN NOT NULL,
    "has_repayment" BOOLEAN NOT NULL,
    "first_30_at" TIMESTAMPTZ(3),
    "first_90_at" TIMESTAMPTZ(3),
    "outstanding" DECIMAL(14,2) NOT NULL,
    "fraud_status" VARCHAR(9) NOT NULL,
    "chargebacks" INTEGER NOT NULL,
    "loss_amount" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "decision_fact_pkey" PRIMARY KEY ("decision_id")
);

-- CreateTable
CREATE TABLE "rollup_decision_daily" (
    "day" DATE NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "kind" "DecisionKind" NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "outcome" "DecisionOutcome" NOT NULL,
    "review_state" "ReviewState" NOT NULL,
    "fraud_status" VARCHAR(9) NOT NULL,
    "decisions" BIGINT NOT NULL,
    "amount_sum" DECIMAL(18,2) NOT NULL,
    "booked" BIGINT NOT NULL,
    "booked_amount" DECIMAL(18,2) NOT NULL,
    "outstanding" DECIMAL(18,2) NOT NULL,
    "chargebacks" BIGINT NOT NULL,
    "loss_sum" DECIMAL(18,2) NOT NULL,

    CONSTRAINT "rollup_decision_daily_pkey" PRIMARY KEY ("day","region_code","kind","model_name","model_version","outcome","review_state","fraud_status")
);

-- CreateTable
CREATE TABLE "rollup_segment_monthly" (
    "month" DATE NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "kind" "DecisionKind" NOT NULL,
    "outcome" "DecisionOutcome" NOT NULL,
    "age_band" TEXT NOT NULL,
    "label" VARCHAR(4) NOT NULL,
    "decisions" BIGINT NOT NULL,

    CONSTRAINT "rollup_segment_monthly_pkey" PRIMARY KEY ("month","region_code","kind","outcome","age_band","label")
);

-- CreateTable
CREATE TABLE "rollup_score_monthly" (
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "score_bin" SMALLINT NOT NULL,
    "label" VARCHAR(4) NOT NULL,
    "decisions" BIGINT NOT NULL,

    CONSTRAINT "rollup_score_monthly_pkey" PRIMARY KEY ("model_name","model_version","month","region_code","score_bin","label")
);

-- CreateTable
CREATE TABLE "rollup_vintage" (
    "vintage" DATE NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "kind" "DecisionKind" NOT NULL,
    "stage" SMALLINT NOT NULL,
    "mob" SMALLINT NOT NULL,
    "decisions" BIGINT NOT NULL,

    CONSTRAINT "rollup_vintage_pkey" PRIMARY KEY ("vintage","region_code","kind","stage","mob")
);

-- CreateIndex
CREATE INDEX "decision_fact_day_idx" ON "decision_fact"("day");

-- ───────────── Rollup maintenance (ADR 011, docs/metrics.md) ─────────────
-- decision_fact holds one row per decision with what the dashboards group by; statement-level
-- triggers on decision, repayment_outcome and fraud_outcome refresh the facts of the decisions a
-- statement touched, and a trigger on decision_fact applies the difference (old rows −1, new rows +1)
-- to each rollup table, all inside the writing transaction. Setting attest.rollups_deferred = 'on'
-- (transaction-local) suspends the triggers for a bulk load that ends with rollups_rebuild().

CREATE FUNCTION rollup_age_band(features jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN jsonb_typeof(features -> 'age') IS DISTINCT FROM 'number' THEN 'unknown'
    WHEN (features ->> 'age')::numeric < 18 THEN 'under 18'
    WHEN (features ->> 'age')::numeric < 25 THEN '18-24'
    WHEN (features ->> 'age')::numeric < 35 THEN '25-34'
    WHEN (features ->> 'age')::numeric < 45 THEN '35-44'
    WHEN (features ->> 'age')::numeric < 55 THEN '45-54'
    WHEN (features ->> 'age')::numeric < 65 THEN '55-64'
    ELSE '65+' END
$$;

-- 100 bins of width 0.01 over [0, 1]; a score of exactly 1 falls in the top bin.
CREATE FUNCTION rollup_score_bin(score double precision) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT LEAST(99, GREATEST(0, floor(score * 100)))::smallint
$$;

-- Months on book: calendar months (UTC) from the decision's month to the month of the observation.
CREATE FUNCTION rollup_months_on_book(day date, observed timestamptz) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN observed IS NULL THEN NULL ELSE GREATEST(0,
    (extract(year FROM observed AT TIME ZONE 'UTC') * 12 + extract(month FROM observed AT TIME ZONE 'UTC'))
    - (extract(year FROM day) * 12 + extract(month FROM day)))::smallint END
$$;

-- The facts of the given decisions, computed from the raw tables: the one definition of every derived
-- attribute (booked, repayment label inputs, outstanding, fraud status).
CREATE FUNCTION decision_fact_source(ids uuid[]) RETURNS SETOF decision_fact LANGUAGE sql STABLE AS $$
  SELECT d.id, (d.decided_at AT TIME ZONE 'UTC')::date, d.region_code, d.kind, d.model_name, d.model_version, d.outcome,
         d.review_state, rollup_age_band(d.features), rollup_score_bin(d.score), d.amount, b.is_booked,
         r.n > 0, r.first_30_at, r.first_90_at,
         CASE WHEN NOT b.is_booked THEN 0 WHEN r.n = 0 THEN d.amount ELSE r.latest_outstanding END,
         CASE WHEN f.is_confirmed THEN 'confirmed' WHEN f.is_cleared THEN 'cleared' ELSE 'none' END,
         f.chargebacks, f.loss_amount
    FROM decision d
    -- Credit granted: approved by the engine, or a decline a reviewer overturned (as ingestion accepts).
    CROSS JOIN LATERAL (SELECT d.kind <> 'fraud' AND (d.outcome = 'approved' OR d.review_state = 'overturned') AS is_booked) b
    CROSS JOIN LATERAL (
      SELECT count(*) AS n,
             min(observed_at) FILTER (WHERE status IN ('late_30', 'default_90')) AS first_30_at,
             min(observed_at) FILTER (WHERE status = 'default_90') AS first_90_at,
             (array_agg(outstanding_amount ORDER BY observed_at DESC, id DESC))[1] AS latest_outstanding
        FROM repayment_outcome WHERE decision_id = d.id) r
    CROSS JOIN LATERAL (
      SELECT coalesce(bool_or(outcome = 'confirmed_fraud'), false) AS is_confirmed,
             coalesce(bool_or(outcome = 'cleared'), false) AS is_cleared,
             (count(*) FILTER (WHERE outcome = 'chargeback'))::int AS chargebacks,
             coalesce(sum(loss_amount), 0) AS loss_amount
        FROM fraud_outcome WHERE decision_id = d.id) f
   WHERE d.id = ANY(ids)
$$;

-- Adds (direction 1) or removes (direction −1) facts from every rollup, keys in a fixed order so that
-- concurrent writers lock rollup rows in the same order.
CREATE FUNCTION rollup_apply(facts decision_fact[], direction integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(facts) = 0 THEN RETURN; END IF;
  INSERT INTO rollup_decision_daily AS t (day, region_code, kind, model_name, model_version, outcome, review_state, fraud_status,
         decisions, amount_sum, booked, booked_amount, outstanding, chargebacks, loss_sum)
  SELECT f.day, f.region_code, f.kind, f.model_name, f.model_version, f.outcome, f.review_state, f.fraud_status,
         direction * count(*), direction * sum(f.amount), direction * count(*) FILTER (WHERE f.is_booked),
         direction * coalesce(sum(f.amount) FILTER (WHERE f.is_booked), 0), direction * sum(f.outstanding),
         direction * sum(f.chargebacks), direction * sum(f.loss_amount)
    FROM unnest(facts) f
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (day, region_code, kind, model_name, model_version, outcome, review_state, fraud_status) DO UPDATE SET
    decisions = t.decisions + EXCLUDED.decisions, amount_sum = t.amount_sum + EXCLUDED.amount_sum,
    booked = t.booked + EXCLUDED.booked, booked_amount = t.booked_amount + EXCLUDED.booked_amount,
    outstanding = t.outstanding + EXCLUDED.outstanding, chargebacks = t.chargebacks + EXCLUDED.chargebacks,
    loss_sum = t.loss_sum + EXCLUDED.loss_sum;

  INSERT INTO rollup_segment_monthly AS t (month, region_code, kind, outcome, age_band, label, decisions)
  SELECT date_trunc('month', f.day)::date, f.region_code, f.kind, f.outcome, f.age_band,
         CASE WHEN f.first_30_at IS NOT NULL THEN 'bad' WHEN f.has_repayment THEN 'good' ELSE 'none' END,
         direction * count(*)
    FROM unnest(facts) f
   GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (month, region_code, kind, outcome, age_band, label) DO UPDATE SET decisions = t.decisions + EXCLUDED.decisions;

  INSERT INTO rollup_score_monthly AS t (model_name, model_version, month, region_code, score_bin, label, decisions)
  SELECT f.model_name, f.model_version, date_trunc('month', f.day)::date, f.region_code, f.score_bin,
         CASE WHEN f.first_30_at IS NOT NULL THEN 'bad' WHEN f.has_repayment THEN 'good' ELSE 'none' END,
         direction * count(*)
    FROM unnest(facts) f
   GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (model_name, model_version, month, region_code, score_bin, label) DO UPDATE SET decisions = t.decisions + EXCLUDED.decisions;

  INSERT INTO rollup_vintage AS t (vintage, region_code, kind, stage, mob, decisions)
  SELECT date_trunc('month', f.day)::date, f.region_code, f.kind, s.stage, s.mob, direction * count(*)
    FROM unnest(facts) f
    CROSS JOIN LATERAL (VALUES (0::smallint, 0::smallint), (30::smallint, rollup_months_on_book(f.day, f.first_30_at)),
                               (90::smallint, rollup_months_on_book(f.day, f.first_90_at))) AS s(stage, mob)
   WHERE f.is_booked AND s.mob IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (vintage, region_code, kind, stage, mob) DO UPDATE SET decisions = t.decisions + EXCLUDED.decisions;
END $$;

CREATE FUNCTION rollups_are_deferred() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('attest.rollups_deferred', true), '') = 'on'
$$;

CREATE FUNCTION decision_fact_apply_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM rollup_apply(ARRAY(SELECT ROW(o.*)::decision_fact FROM old_facts o), -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM rollup_apply(ARRAY(SELECT ROW(n.*)::decision_fact FROM new_facts n), 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER decision_fact_rollups_insert AFTER INSERT ON decision_fact REFERENCING NEW TABLE AS new_facts
  FOR EACH STATEMENT EXECUTE FUNCTION decision_fact_apply_rollups();
CREATE TRIGGER decision_fact_rollups_update AFTER UPDATE ON decision_fact REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
  FOR EACH STATEMENT EXECUTE FUNCTION decision_fact_apply_rollups();
CREATE TRIGGER decision_fact_rollups_delete AFTER DELETE ON decision_fact REFERENCING OLD TABLE AS old_facts
  FOR EACH STATEMENT EXECUTE FUNCTION decision_fact_apply_rollups();

-- Recomputes the facts of these decisions. Locking the fact rows first makes a concurrent writer of
-- the same decision wait and then read the raw tables afresh (READ COMMITTED: a new snapshot per
-- statement), so a late outcome never overwrites another transaction's newer fact.
CREATE FUNCTION refresh_decision_facts(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(ids) = 0 THEN RETURN; END IF;
  PERFORM 1 FROM decision_fact WHERE decision_id = ANY(ids) ORDER BY decision_id FOR UPDATE;
  UPDATE decision_fact f
     SET (day, region_code, kind, model_name, model_version, outcome, review_state, age_band, score_bin, amount, is_booked,
          has_repayment, first_30_at, first_90_at, outstanding, fraud_status, chargebacks, loss_amount)
       = (s.day, s.region_code, s.kind, s.model_name, s.model_version, s.outcome, s.review_state, s.age_band, s.score_bin,
          s.amount, s.is_booked, s.has_repayment, s.first_30_at, s.first_90_at, s.outstanding, s.fraud_status, s.chargebacks,
          s.loss_amount)
    FROM decision_fact_source(ids) s
   WHERE f.decision_id = s.decision_id AND ROW(f.*) IS DISTINCT FROM ROW(s.*);
  -- A decision written while the triggers were deferred and not rebuilt since: add it now.
  INSERT INTO decision_fact SELECT s.* FROM decision_fact_source(ids) s
   WHERE NOT EXISTS (SELECT 1 FROM decision_fact f WHERE f.decision_id = s.decision_id);
END $$;

CREATE FUNCTION decision_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  INSERT INTO decision_fact SELECT * FROM decision_fact_source(ARRAY(SELECT id FROM new_decisions));
  RETURN NULL;
END $$;

CREATE FUNCTION decision_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  PERFORM refresh_decision_facts(ARRAY(
    SELECT n.id FROM new_decisions n JOIN old_decisions o ON o.id = n.id
     WHERE (n.review_state, n.outcome, n.kind, n.region_code, n.score, n.amount, n.decided_at, n.model_name, n.model_version, n.features)
           IS DISTINCT FROM (o.review_state, o.outcome, o.kind, o.region_code, o.score, o.amount, o.decided_at, o.model_name, o.model_version, o.features)));
  RETURN NULL;
END $$;

CREATE FUNCTION decision_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM decision_fact WHERE decision_id IN (SELECT id FROM old_decisions);
  RETURN NULL;
END $$;

CREATE FUNCTION decision_rollups_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE decision_fact, rollup_decision_daily, rollup_segment_monthly, rollup_score_monthly, rollup_vintage;
  RETURN NULL;
END $$;

CREATE TRIGGER decision_rollups_insert AFTER INSERT ON decision REFERENCING NEW TABLE AS new_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION decision_rollups_on_insert();
CREATE TRIGGER decision_rollups_update AFTER UPDATE ON decision REFERENCING OLD TABLE AS old_decisions NEW TABLE AS new_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION decision_rollups_on_update();
CREATE TRIGGER decision_rollups_delete AFTER DELETE ON decision REFERENCING OLD TABLE AS old_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION decision_rollups_on_delete();
CREATE TRIGGER decision_rollups_truncate AFTER TRUNCATE ON decision
  FOR EACH STATEMENT EXECUTE FUNCTION decision_rollups_on_truncate();

-- Outcomes (late ones included) refresh the facts of their decisions, which moves the decision
-- between labels and vintage cells of the cohort it was booked in.
CREATE FUNCTION outcome_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  PERFORM refresh_decision_facts(ARRAY(SELECT DISTINCT decision_id FROM new_outcomes));
  RETURN NULL;
END $$;

CREATE FUNCTION outcome_rollups_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  PERFORM refresh_decision_facts(ARRAY(SELECT decision_id FROM new_outcomes UNION SELECT decision_id FROM old_outcomes));
  RETURN NULL;
END $$;

CREATE FUNCTION outcome_rollups_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  PERFORM refresh_decision_facts(ARRAY(SELECT DISTINCT decision_id FROM old_outcomes));
  RETURN NULL;
END $$;

CREATE TRIGGER repayment_outcome_rollups_insert AFTER INSERT ON repayment_outcome REFERENCING NEW TABLE AS new_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollups_on_insert();
CREATE TRIGGER repayment_outcome_rollups_update AFTER UPDATE ON repayment_outcome REFERENCING OLD TABLE AS old_outcomes NEW TABLE AS new_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollups_on_update();
CREATE TRIGGER repayment_outcome_rollups_delete AFTER DELETE ON repayment_outcome REFERENCING OLD TABLE AS old_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollups_on_delete();
CREATE TRIGGER fraud_outcome_rollups_insert AFTER INSERT ON fraud_outcome REFERENCING NEW TABLE AS new_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollups_on_insert();
CREATE TRIGGER fraud_outcome_rollups_update AFTER UPDATE ON fraud_outcome REFERENCING OLD TABLE AS old_outcomes NEW TABLE AS new_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollups_on_update();
CREATE TRIGGER fraud_outcome_rollups_delete AFTER DELETE ON fraud_outcome REFERENCING OLD TABLE AS old_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION outcome_rollups_on_delete();

-- Recomputes every fact and rollup from the raw tables (npm run rollups:rebuild, the seed's bulk
-- load). Month by month, so that neither the id lists nor the fact arrays grow with the whole book.
CREATE FUNCTION rollups_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  month_start timestamp;
  total bigint;
BEGIN
  PERFORM set_config('attest.rollups_deferred', 'on', true);
  TRUNCATE decision_fact, rollup_decision_daily, rollup_segment_monthly, rollup_score_monthly, rollup_vintage;
  -- Months as UTC wall-clock timestamps, so that the boundaries do not move with the session's time zone.
  FOR month_start IN
    SELECT DISTINCT date_trunc('month', decided_at AT TIME ZONE 'UTC') FROM decision ORDER BY 1
  LOOP
    INSERT INTO decision_fact SELECT * FROM decision_fact_source(ARRAY(
      SELECT id FROM decision
       WHERE decided_at >= month_start AT TIME ZONE 'UTC' AND decided_at < (month_start + interval '1 month') AT TIME ZONE 'UTC'));
    PERFORM rollup_apply(ARRAY(SELECT f FROM decision_fact f
      WHERE f.day >= month_start::date AND f.day < (month_start + interval '1 month')::date), 1);
  END LOOP;
  PERFORM set_config('attest.rollups_deferred', 'off', true);
  SELECT count(*) INTO total FROM decision_fact;
  RETURN total;
END $$;

SELECT rollups_rebuild();
