// The catalogue of audited actions: every audit event names one of these, so a search for an action
// finds every place it is recorded. Adding an action is a reviewed change like any policy.
export const auditActions = {
  "staff.signed_in": "A staff member signed in with email and password",
  "staff.sign_in_failed": "A sign-in attempt was refused (wrong credentials, inactive account or rate limit)",
  "staff.signed_out": "A staff member signed out",
  "staff.mfa_verified": "A staff member passed the TOTP second factor",
  "staff.mfa_failed": "A TOTP code was refused",
  "staff.mfa_enrolled": "A staff member enrolled a TOTP authenticator",
  "staff_user.created": "An administrator created a staff account",
  "staff_user.updated": "An administrator changed a staff account's name, role or regions",
  "staff_user.deactivated": "An administrator deactivated a staff account and ended its sessions",
  "staff_user.reactivated": "An administrator reactivated a staff account",
  "staff_user.mfa_reset": "An administrator removed a staff account's TOTP enrolment",
  "customer.personal_data_read": "Unmasked personal data of a customer was shown to a staff member",
  "seed.loaded": "Synthetic demo data was loaded",
  "api_token.created": "An administrator created an API token (its secret was shown once)",
  "api_token.revoked": "An administrator revoked an API token",
  "signing_key.activated": "A checkpoint signing key became the active key",
  "signing_key.rotation_requested": "An administrator asked to rotate the checkpoint signing key",
  "signing_key.rotation_approved": "A second administrator approved a signing-key rotation; the new key signs from now on",
  "signing_key.rotation_rejected": "A second administrator rejected a signing-key rotation",
  "ledger.verified": "The ledger was verified end to end (result recorded)",
  "ledger.exported": "A range of ledger events was exported",
  "ledger.checkpoint_requested": "A signed checkpoint was requested on demand",
  // ── Privacy requests: intake, workflow, rectification, restriction, objection ──
  "privacy_request.received": "A privacy request was received (staff form or API) and its statutory clock set",
  "privacy_request.matched": "A privacy request was matched to a customer after intake",
  "privacy_request.identity_requested": "The requester was asked to confirm their identity",
  "privacy_request.identity_verified": "The requester's identity was verified (what was checked is recorded)",
  "privacy_request.identity_failed": "The requester's identity could not be verified",
  "privacy_request.assigned": "A privacy request was assigned to a DPO or compliance officer",
  "privacy_request.note_added": "A note was added to a privacy request",
  "privacy_request.extended": "A privacy request's deadline was extended with a recorded reason",
  "privacy_request.paused": "The clock of a privacy request was paused while its scope is clarified (UK GDPR)",
  "privacy_request.resumed": "The clock of a paused privacy request was resumed and its due date moved",
  "privacy_request.refusal_proposed": "A DPO proposed refusing a privacy request (four-eyes)",
  "privacy_request.refusal_approved": "A second DPO approved a refusal; the requester is told their right to complain",
  "privacy_request.refusal_rejected": "A second DPO rejected a proposed refusal",
  "privacy_request.completed": "A privacy request was completed",
  "privacy_request.exported": "The privacy request list was exported",
  "customer.personal_data_rectified": "A customer's personal data was rectified (old values sealed under the subject's key)",
  "customer.processing_restricted": "Processing of a customer's personal data was restricted (GDPR Art. 18)",
  "customer.restriction_lifted": "A restriction of processing was lifted",
  "customer.objection_recorded": "A customer's objection to processing was recorded and routed (GDPR Art. 21)",
  // ── Review workflow, contests, notices (issue 4.4–4.8) ──
  "review.claimed": "A reviewer claimed a review to work it (others see who holds it)",
  "review.released": "A claimed review was given back to the queue",
  "review.assigned": "A lead assigned a review to a reviewer",
  "review.escalated": "A review was escalated for a lead's attention",
  "review.decided": "A reviewer upheld or overturned a decision; the review closed",
  "review.overturn_proposed": "A reviewer proposed overturning a decline or fraud hold; a second approver must confirm",
  "review.overturn_approved": "A second approver confirmed an overturn (four-eyes); the review closed",
  "review.overturn_rejected": "A second approver sent a proposed overturn back to the reviewer",
  "contest.received": "A customer's contest of an automated decision was recorded and a priority review opened",
  "decision.notice_generated": "An adverse-action / explanation notice was generated for a declined decision",
  "decision.review_outcome_notice_generated": "A notice telling the customer the outcome of the human review was generated",
} as const;

export type AuditAction = keyof typeof auditActions;

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(auditActions, value);
}
