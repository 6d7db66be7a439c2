import type pg from "pg";
import { isAuditAction, type AuditAction } from "~/modules/audit/actions";
import { stagedAuditEvent, type AuditContext, type AuditEventInput } from "~/modules/audit/ledger.server";

// The demo book's history in the audit ledger (issue 11): what the generator's rows say happened —
// staff accounts opened, decisions ingested in weekly batches per region, reviews claimed, decided and
// approved, contests, privacy requests through their steps (erasures with their destroyed keys),
// rule-set versions approved and activated — appended through the app's own append path
// (stagedAuditEvent → attest_stage_audit_event, numbered, hashed and tagged at COMMIT like every
// event). Each event carries the time it happened in the story as its businessTime; its occurredAt is
// the database clock now and the ledger's order is the order of appending (story order). Signed
// checkpoints follow when the app starts (its checkpoint worker), and `npm run ledger:verify` checks it all.
//
// Free text (review justifications, requesters' words) is not copied into the ledger: the rows keep it.

interface HistoryEvent {
  businessTime: Date;
  context: AuditContext;
  event: AuditEventInput;
}

const APPEND_BATCH = 500;

const systemContext: AuditContext = { actorType: "system", actorId: null, actorLabel: "attest", actorRole: null, requestId: null, ipAddress: null };
const engineContext: AuditContext = { actorType: "api_token", actorId: null, actorLabel: "decision engine (demo book)", actorRole: null, requestId: null, ipAddress: null };

type Staff = { id: string; email: string; role: string; created_at: Date; regions: string[] | null };

/** Actions another issue may add to the catalogue: recorded only once the catalogue knows them. */
function known(action: string): AuditAction | null {
  return isAuditAction(action) ? action : null;
}

export async function seedLedgerHistory(client: pg.ClientBase, log: (message: string) => void) {
  const startedAt = Date.now();
  const rows = async <Row>(text: string, values: unknown[] = []) => (await client.query(text, values)).rows as Row[];
  const staff = await rows<Staff>(
    `SELECT s.id, s.email, s.role::text AS role, s.created_at, array_agg(r.region_code ORDER BY r.region_code) FILTER (WHERE r.region_code IS NOT NULL) AS regions
       FROM staff_user s LEFT JOIN staff_region r ON r.user_id = s.id GROUP BY s.id ORDER BY s.email`,
  );
  const byId = new Map(staff.map((member) => [member.id, member]));
  const contextOf = (id: string | null): AuditContext => {
    const member = id ? byId.get(id) : undefined;
    return member ? { actorType: "staff", actorId: member.id, actorLabel: member.email, actorRole: member.role, requestId: null, ipAddress: null } : systemContext;
  };
  const [bounds] = await rows<{ first: Date | null }>(`SELECT min(decided_at) AS first FROM decision`);
  if (!bounds?.first) return { events: 0 };
  const bookStart = new Date(bounds.first.getTime() - 7 * 86_400_000);
  const events: HistoryEvent[] = [];
  const add = (businessTime: Date | null, context: AuditContext, event: AuditEventInput) => {
    if (businessTime) events.push({ businessTime, context, event: { ...event, businessTime } });
  };

  // Staff accounts, opened by the administrator before the book starts.
  const admin = staff.find((member) => member.role === "admin");
  for (const [index, member] of staff.entries()) {
    add(new Date(bookStart.getTime() + index * 60_000), admin && admin.id !== member.id ? contextOf(admin.id) : systemContext, {
      action: "staff_user.created",
      subjectType: "StaffUser",
      subjectId: member.id,
      changes: { after: { email: member.email, role: member.role, regions: member.regions ?? [] } },
    });
  }

  // Rule-set versions: approved, then active from their effective time (when the catalogue has the actions).
  const approved = known("rule_set_version.approved");
  const activated = known("rule_set_version.activated");
  const versions = await rows<{ id: string; region_code: string; version: number; state: string; approver_id: string | null; approved_at: Date | null; effective_from: Date | null; retired_at: Date | null }>(
    `SELECT id, region_code, version, state::text AS state, approver_id, approved_at, effective_from, retired_at FROM rule_set_version ORDER BY region_code, version`,
  );
  for (const version of versions) {
    if (approved && version.approved_at) {
      add(version.approved_at, contextOf(version.approver_id), { action: approved, subjectType: "RuleSetVersion", subjectId: version.id, regionCode: version.region_code, changes: { after: { version: version.version, state: "approved", effectiveFrom: version.effective_from?.toISOString() ?? null } } });
    }
    if (activated && version.effective_from && (version.state === "active" || version.state === "retired")) {
      add(version.effective_from, systemContext, { action: activated, subjectType: "RuleSetVersion", subjectId: version.id, regionCode: version.region_code, changes: { after: { version: version.version, state: "active" } } });
    }
  }

  // Ingestion: one batch per region and week, as the decision engine sent them.
  const batches = await rows<{ region_code: string; week: Date; last: Date; decisions: string; declined: string; referred: string; fraud_hold: string }>(
    `SELECT region_code, date_trunc('week', decided_at) AS week, max(decided_at) AS last, count(*) AS decisions,
            count(*) FILTER (WHERE outcome = 'declined') AS declined, count(*) FILTER (WHERE outcome = 'referred') AS referred,
            count(*) FILTER (WHERE outcome = 'fraud_hold') AS fraud_hold
       FROM decision GROUP BY 1, 2 ORDER BY 2, 1`,
  );
  for (const batch of batches) {
    add(new Date(batch.last.getTime() + 1000), engineContext, {
      action: "ingest.decisions_accepted",
      subjectType: "IngestBatch",
      subjectId: `${batch.region_code}-${batch.week.toISOString().slice(0, 10)}`,
      regionCode: batch.region_code,
      changes: { accepted: Number(batch.decisions), outcomes: { declined: Number(batch.declined), referred: Number(batch.referred), fraudHold: Number(batch.fraud_hold) }, week: batch.week.toISOString().slice(0, 10) },
    });
  }

  // Reviews: claimed, decided (or proposed for four-eyes), approved.
  const reviews = await rows<{ id: string; region_code: string; trigger: string; status: string; decision_id: string; claimed_by_id: string | null; claimed_at: Date | null; reviewer_id: string | null; verdict: string | null; verdict_reason: string | null; decided_at: Date | null; approver_id: string | null; approved_at: Date | null; opened_at: Date }>(
    `SELECT id, region_code, trigger::text AS trigger, status::text AS status, decision_id, claimed_by_id, claimed_at, reviewer_id, verdict::text AS verdict, verdict_reason, decided_at, approver_id, approved_at, opened_at FROM review ORDER BY opened_at`,
  );
  for (const review of reviews) {
    const subject = { subjectType: "Review", subjectId: review.id, regionCode: review.region_code } as const;
    const claimer = review.claimed_by_id ?? review.reviewer_id;
    const claimedAt = review.claimed_at ?? (review.decided_at && review.reviewer_id ? new Date(Math.max(review.opened_at.getTime(), review.decided_at.getTime() - 20 * 60_000)) : null);
    if (claimer) add(claimedAt, contextOf(claimer), { action: "review.claimed", ...subject, changes: { decisionId: review.decision_id, trigger: review.trigger } });
    if (review.decided_at && review.reviewer_id) {
      const isFourEyes = review.approver_id !== null || review.status === "awaiting_approval";
      add(review.decided_at, contextOf(review.reviewer_id), {
        action: isFourEyes ? "review.overturn_proposed" : "review.decided",
        ...subject,
        changes: { decisionId: review.decision_id, after: { verdict: review.verdict, verdictReason: review.verdict_reason, status: isFourEyes ? "awaiting_approval" : "closed" } },
      });
    }
    if (review.approved_at && review.approver_id) {
      add(review.approved_at, contextOf(review.approver_id), { action: "review.overturn_approved", ...subject, changes: { decisionId: review.decision_id, after: { verdict: review.verdict, status: "closed" } } });
    }
  }

  // Privacy requests and contests through their steps; erasures with the subject's destroyed keys.
  const requests = await rows<{ id: string; reference: string; type: string; region_code: string; regime: string; channel: string; customer_id: string | null; decision_id: string | null; received_at: Date; identity_state: string; identity_verified_by_id: string | null; identity_verified_at: Date | null; state: string; assignee_id: string | null; approval_requested_by_id: string | null; approval_requested_at: Date | null; approver_id: string | null; approved_at: Date | null; completed_by_id: string | null; completed_at: Date | null; due_at: Date; erased_at: Date | null; keys_destroyed_at: Date | null }>(
    `SELECT p.id, p.reference, p.type::text AS type, p.region_code, p.regime, p.channel, p.customer_id, p.decision_id, p.received_at, p.identity_state::text AS identity_state,
            p.identity_verified_by_id, p.identity_verified_at, p.state::text AS state, p.assignee_id, p.approval_requested_by_id, p.approval_requested_at, p.approver_id, p.approved_at,
            p.completed_by_id, p.completed_at, p.due_at, c.erased_at, k.ledger_key_destroyed_at AS keys_destroyed_at
       FROM privacy_request p LEFT JOIN customer c ON c.id = p.customer_id LEFT JOIN subject_data_key k ON k.subject_id = p.customer_id
      ORDER BY p.received_at`,
  );
  for (const request of requests) {
    const subject = { subjectType: "PrivacyRequest", subjectId: request.id, regionCode: request.region_code } as const;
    const intake = request.channel === "api" ? engineContext : contextOf(request.assignee_id);
    add(request.received_at, intake, { action: request.type === "contest" ? "contest.received" : "privacy_request.received", ...subject, changes: { after: { reference: request.reference, type: request.type, regime: request.regime, channel: request.channel, dueAt: request.due_at.toISOString(), decisionId: request.decision_id } } });
    if (request.identity_verified_at) {
      add(request.identity_verified_at, contextOf(request.identity_verified_by_id), { action: request.identity_state === "failed" ? "privacy_request.identity_failed" : "privacy_request.identity_verified", ...subject, changes: { after: { identityState: request.identity_state } } });
    }
    if (request.type === "erasure" && request.approval_requested_at) {
      add(request.approval_requested_at, contextOf(request.approval_requested_by_id), { action: "privacy_request.erasure_approval_requested", ...subject, changes: { after: { state: "awaiting_approval" } } });
    }
    if (request.type === "erasure" && request.approved_at) {
      add(request.approved_at, contextOf(request.approver_id), { action: "privacy_request.erasure_approved", ...subject, changes: { after: { approvedBy: request.approver_id } } });
    }
    if (request.type === "erasure" && request.erased_at) {
      add(request.erased_at, contextOf(request.completed_by_id ?? request.approver_id), {
        action: "privacy_request.erasure_executed",
        ...subject,
        changes: { customerId: request.customer_id, after: { erasedAt: request.erased_at.toISOString(), subjectKeysDestroyed: request.keys_destroyed_at !== null, ledgerKeyDestroyedAt: request.keys_destroyed_at?.toISOString() ?? null } },
      });
    }
    if (request.state === "refused" && request.approved_at) {
      add(request.approved_at, contextOf(request.approver_id), { action: "privacy_request.refusal_approved", ...subject, changes: { after: { state: "refused" } } });
    }
    if (request.completed_at && request.state === "completed") {
      add(request.completed_at, contextOf(request.completed_by_id), { action: "privacy_request.completed", ...subject, changes: { after: { state: "completed" } } });
    }
  }

  // Story order: the ledger records the history in the order it happened.
  events.sort((a, b) => a.businessTime.getTime() - b.businessTime.getTime());
  for (let start = 0; start < events.length; start += APPEND_BATCH) {
    await client.query("BEGIN");
    try {
      // One round trip per batch: the staging function runs once per event, in array order, and the
      // commit numbers the events in the order they were staged.
      const staged = events.slice(start, start + APPEND_BATCH).map((item) => stagedAuditEvent(item.context, item.event, item.event.changes ?? null));
      await client.query("SELECT attest_stage_audit_event(value) FROM jsonb_array_elements($1::jsonb)", [JSON.stringify(staged)]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
  }
  log(`ledger history: ${events.length.toLocaleString("en")} events appended with their business times (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
  return { events: events.length };
}
