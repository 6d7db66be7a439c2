-- Dashboard rollups (ADR 011): a decision just inserted has no repayment or fraud outcome yet (both
-- reference it), so its fact is derived from the new rows alone instead of probing both outcome tables
-- per decision through decision_fact_source. Same columns and rules as decision_fact_source.
CREATE OR REPLACE FUNCTION decision_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rollups_are_deferred() THEN RETURN NULL; END IF;
  INSERT INTO decision_fact
  SELECT d.id, (d.decided_at AT TIME ZONE 'UTC')::date, d.region_code, d.kind, d.model_name, d.model_version, d.outcome,
         d.review_state, rollup_age_band(d.features), rollup_score_bin(d.score), d.amount, b.is_booked,
         false, NULL, NULL, CASE WHEN b.is_booked THEN d.amount ELSE 0 END, 'none', 0, 0
    FROM new_decisions d
    CROSS JOIN LATERAL (SELECT d.kind <> 'fraud' AND (d.outcome = 'approved' OR d.review_state = 'overturned') AS is_booked) b;
  RETURN NULL;
END $$;
