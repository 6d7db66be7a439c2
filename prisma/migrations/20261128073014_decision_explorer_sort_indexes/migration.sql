-- CreateIndex
CREATE INDEX "decision_score_id_idx" ON "decision"("score", "id");

-- CreateIndex
CREATE INDEX "decision_amount_id_idx" ON "decision"("amount", "id");
