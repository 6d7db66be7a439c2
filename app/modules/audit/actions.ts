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
  // ── Ingestion API and decision explorer (issue 4: ingest) ──
  "ingest.decisions_accepted": "A batch of decisions from the decision engine was ingested (one event per call: counts and the body's SHA-256)",
  "ingest.repayment_outcomes_accepted": "A batch of repayment outcomes was ingested (one event per call)",
  "ingest.fraud_outcomes_accepted": "A batch of fraud outcomes was ingested (one event per call)",
  "ingest.batch_rejected": "An ingestion call was refused as a whole (invalid lines, outside the token's regions, too large); nothing was written",
  "decision.exported": "The filtered decision list was exported as CSV",
} as const;

export type AuditAction = keyof typeof auditActions;

export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(auditActions, value);
}
