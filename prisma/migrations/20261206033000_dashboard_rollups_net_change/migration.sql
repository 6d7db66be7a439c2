-- Dashboard rollups (ADR 011): a changed fact is applied to the rollups as one net change instead of
-- its old row taken out and its new row put back in two passes. Cells whose figures net to zero are not
-- written at all: when a review verdict or a queued review changes a decision's review state, only the
-- daily rollup (keyed by review state) changes; the segment, score and vintage cells are left alone
-- instead of being decremented and incremented again under a row lock. Same figures as before.

CREATE FUNCTION rollup_apply_change(removed decision_fact[], added decision_fact[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(removed) = 0 AND cardinality(added) = 0 THEN RETURN; END IF;
  INSERT INTO rollup_decision_daily AS t (day, region_code, kind, model_name, model_version, outcome, review_state, fraud_status,
         decisions, amount_sum, booked, booked_amount, outstanding, chargebacks, loss_sum)
  SELECT f.day, f.region_code, f.kind, f.model_name, f.model_version, f.outcome, f.review_state, f.fraud_status,
         sum(f.sign), sum(f.sign * f.amount), coalesce(sum(f.sign) FILTER (WHERE f.is_booked), 0),
         coalesce(sum(f.sign * f.amount) FILTER (WHERE f.is_booked), 0), sum(f.sign * f.outstanding),
         sum(f.sign * f.chargebacks), sum(f.sign * f.loss_amount)
    FROM (SELECT r.*, -1 AS sign FROM unnest(removed) r UNION ALL SELECT a.*, 1 FROM unnest(added) a) f
   GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  HAVING sum(f.sign) <> 0 OR sum(f.sign * f.amount) <> 0 OR coalesce(sum(f.sign) FILTER (WHERE f.is_booked), 0) <> 0
      OR coalesce(sum(f.sign * f.amount) FILTER (WHERE f.is_booked), 0) <> 0 OR sum(f.sign * f.outstanding) <> 0 OR sum(f.sign * f.chargebacks) <> 0 OR sum(f.sign * f.loss_amount) <> 0
   ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (day, region_code, kind, model_name, model_version, outcome, review_state, fraud_status) DO UPDATE SET
    decisions = t.decisions + EXCLUDED.decisions, amount_sum = t.amount_sum + EXCLUDED.amount_sum,
    booked = t.booked + EXCLUDED.booked, booked_amount = t.booked_amount + EXCLUDED.booked_amount,
    outstanding = t.outstanding + EXCLUDED.outstanding, chargebacks = t.chargebacks + EXCLUDED.chargebacks,
    loss_sum = t.loss_sum + EXCLUDED.loss_sum;

  INSERT INTO rollup_segment_monthly AS t (month, region_code, kind, outcome, age_band, label, decisions)
  SELECT date_trunc('month', f.day)::date, f.region_code, f.kind, f.outcome, f.age_band,
         CASE WHEN f.first_30_at IS NOT NULL THEN 'bad' WHEN f.has_repayment THEN 'good' ELSE 'none' END, sum(f.sign)
    FROM (SELECT r.*, -1 AS sign FROM unnest(removed) r UNION ALL SELECT a.*, 1 FROM unnest(added) a) f
   GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.sign) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (month, region_code, kind, outcome, age_band, label) DO UPDATE SET decisions = t.decisions + EXCLUDED.decisions;

  INSERT INTO rollup_score_monthly AS t (model_name, model_version, month, region_code, score_bin, label, decisions)
  SELECT f.model_name, f.model_version, date_trunc('month', f.day)::date, f.region_code, f.score_bin,
         CASE WHEN f.first_30_at IS NOT NULL THEN 'bad' WHEN f.has_repayment THEN 'good' ELSE 'none' END, sum(f.sign)
    FROM (SELECT r.*, -1 AS sign FROM unnest(removed) r UNION ALL SELECT a.*, 1 FROM unnest(added) a) f
   GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(f.sign) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (model_name, model_version, month, region_code, score_bin, label) DO UPDATE SET decisions = t.decisions + EXCLUDED.decisions;

  INSERT INTO rollup_vintage AS t (vintage, region_code, kind, stage, mob, decisions)
  SELECT date_trunc('month', f.day)::date, f.region_code, f.kind, s.stage, s.mob, sum(f.sign)
    FROM (SELECT r.*, -1 AS sign FROM unnest(removed) r UNION ALL SELECT a.*, 1 FROM unnest(added) a) f
    CROSS JOIN LATERAL (VALUES (0::smallint, 0::smallint), (30::smallint, rollup_months_on_book(f.day, f.first_30_at)),
                               (90::smallint, rollup_months_on_book(f.day, f.first_90_at))) AS s(stage, mob)
   WHERE f.is_booked AND s.mob IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5 HAVING sum(f.sign) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (vintage, region_code, kind, stage, mob) DO UPDATE SET decisions = t.decisions + EXCLUDED.decisions;
END $$;

CREATE OR REPLACE FUNCTION decision_fact_apply_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' THEN
    PERFORM rollup_apply_change(ARRAY(SELECT ROW(o.*)::decision_fact FROM old_facts o), ARRAY(SELECT ROW(n.*)::decision_fact FROM new_facts n));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM rollup_apply(ARRAY(SELECT ROW(o.*)::decision_fact FROM old_facts o), -1);
  ELSE
    PERFORM rollup_apply(ARRAY(SELECT ROW(n.*)::decision_fact FROM new_facts n), 1);
  END IF;
  RETURN NULL;
END $$;
