import { fixtureEvents, fixtureIds as ids } from "../fixtures/ids";
import { personas, type PersonaName } from "../fixtures/staff";

// Who may open what: every route file under app/routes, with a real URL and the outcome expected for
// an anonymous visitor and for each role (route-authorization.test.ts walks it against the running
// server, and fails when a route file has no entry here). Adding a route = adding a line.
//
// Outcomes: "200", "400", "401", "403", "404", or "redirect:<Location>". In a spec, `default` covers
// every role not named; `anonymous` defaults to the sign-in redirect that brings them back to the URL.
// Personas (tests/fixtures/staff.ts): compliance (all regions), opsSe (regional ops, SE only),
// fraud (fraud analyst, SE/DE/NL), dpo (all), auditor (all), admin (staff admin, no customer data).

export type Who = "anonymous" | PersonaName;
export type Outcome = "200" | "400" | "401" | "403" | "404" | `redirect:${string}`;
export type Spec = { default?: Outcome } & Partial<Record<Who, Outcome>>;

export interface RouteCheck {
  /** The route module, as named in app/routes. */
  file: string;
  url: string;
  get: Spec;
  /** For routes with an action: the form to send and what each role gets. */
  post?: {
    form: Record<string, string | string[]>;
    expect: Spec;
    /** Sign in afresh for the POST (it ends the session it is sent with). */
    freshSession?: boolean;
    /** The POST starts background work: it is walked last, and the work must then finish. */
    startsBackgroundWork?: boolean;
  };
}

/** Where requireActor sends an anonymous visitor: the sign-in page, then back to the URL. */
export function signInRedirect(url: string): Outcome {
  return url === "/" ? "redirect:/login" : `redirect:/login?${new URLSearchParams({ redirectTo: url })}`;
}

const check = (file: string, url: string, get: Spec, post?: RouteCheck["post"]): RouteCheck => ({ file, url, get, post });

// Shorthands for the common shapes.
const everyoneSignedIn: Spec = { default: "200" };
const only = (roles: PersonaName[], otherwise: Outcome = "403"): Spec => ({ default: otherwise, ...Object.fromEntries(roles.map((role) => [role, "200"])) });
const staffAdminOnly = only(["admin"]);
const customerDataReaders = only(["compliance", "opsSe", "fraud", "dpo", "auditor"]);
const ledgerVerifiers = only(["compliance", "auditor"]);
const api = (spec: Spec): Spec => ({ anonymous: "401", ...spec });

const auditor = personas.auditor;
const unchangedAuditor = { intent: "update", displayName: auditor.displayName, role: auditor.role, regions: [...auditor.regions] };

export const routeAccess: RouteCheck[] = [
  // Shell, account and sign-in
  check("_index.tsx", "/", everyoneSignedIn),
  check("account.tsx", "/account", everyoneSignedIn),
  check("healthz.tsx", "/healthz", { anonymous: "200", default: "200" }),
  // A signed-in person posting the sign-in form is sent home (the page's loader runs after the action).
  check("login.tsx", "/login", { anonymous: "200", default: "redirect:/" }, { form: { password: "no email given" }, expect: { anonymous: "400", default: "redirect:/" } }),
  // Enrolment must stay reachable once signed in (the account page links here to turn TOTP on).
  check("login_.mfa.tsx", "/login/mfa", everyoneSignedIn, { form: { code: "12" }, expect: { default: "400" } }),
  check("logout.tsx", "/logout", { anonymous: "redirect:/", default: "redirect:/" }, { form: {}, expect: { anonymous: "redirect:/login", default: "redirect:/login" }, freshSession: true }),
  check("region-filter.tsx", "/region-filter", { anonymous: "redirect:/", default: "redirect:/" }, { form: { region: "SE", redirectTo: "/account" }, expect: { default: "redirect:/account" } }),

  // Staff administration: the admin only, and never on their own account
  check("admin.staff._index.tsx", "/admin/staff", staffAdminOnly),
  check("admin.staff.new.tsx", "/admin/staff/new", staffAdminOnly, { form: { email: "not-an-email" }, expect: { default: "403", admin: "400" } }),
  // A legacy `?_data=` request is no data request under single fetch: it answers like the page (issue 13).
  check("admin.staff.new.tsx", "/admin/staff/new?_data=routes%2Fadmin.staff.new", staffAdminOnly),
  check("admin.staff.$userId.tsx", `/admin/staff/${auditor.id}`, staffAdminOnly, { form: unchangedAuditor, expect: staffAdminOnly }),
  check("admin.staff.$userId.tsx", `/admin/staff/${personas.admin.id}`, staffAdminOnly, { form: { intent: "deactivate", justification: "Locking myself out" }, expect: { default: "403" } }),
  check("admin.staff.$userId.tsx", `/admin/staff/${ids.missing}`, { default: "403", admin: "404" }),
  check("admin.api-tokens.tsx", "/admin/api-tokens", staffAdminOnly, { form: { intent: "revoke", tokenId: ids.missing, justification: "Walk: revoke nothing" }, expect: staffAdminOnly }),
  check("admin.signing-keys.tsx", "/admin/signing-keys", staffAdminOnly, { form: { intent: "reject", rotationId: ids.missing, justification: "Walk: no such rotation" }, expect: { default: "403", admin: "404" } }),

  // Decisions and customers: region-scoped; the ops manager is SE only, the admin sees none
  check("decisions._index.tsx", "/decisions", customerDataReaders),
  check("decisions._index.tsx", "/decisions?region=DE", { ...customerDataReaders, opsSe: "400" }),
  check("decisions.$decisionId.tsx", `/decisions/${ids.decisions.deReferred}`, { ...customerDataReaders, opsSe: "404" }),
  check("decisions.$decisionId.tsx", `/decisions/${ids.decisions.seDeclined}`, customerDataReaders),
  check("decisions.$decisionId.tsx", `/decisions/${ids.decisions.ukDeclined}`, { ...customerDataReaders, opsSe: "404", fraud: "404" }),
  check("decisions.$decisionId.tsx", `/decisions/${ids.missing}`, { default: "404", admin: "403" }),
  check("customers.$customerId.tsx", `/customers/${ids.customers.DE}`, { ...customerDataReaders, opsSe: "404" }),
  check("customers.$customerId.tsx", `/customers/${ids.missing}`, { default: "404", admin: "403" }),
  check("customers.$customerId.tsx", `/customers/${ids.customers.SE}`, customerDataReaders),
  check("reviews._index.tsx", "/reviews", customerDataReaders),

  // Privacy requests: compliance reads, the DPO works them, the auditor reads
  check("privacy._index.tsx", "/privacy", only(["compliance", "dpo", "auditor"])),
  check("privacy.$requestId.tsx", `/privacy/${ids.privacyRequests.deErasure}`, only(["compliance", "dpo", "auditor"])),
  // Privacy request intake and workflow: only the DPO creates, changes and exports
  check("privacy.new.tsx", "/privacy/new", only(["dpo"]), { form: { type: "access" }, expect: { default: "403", dpo: "400" } }),
  check("privacy.$requestId.tsx", `/privacy/${ids.privacyRequests.seAccess}`, only(["compliance", "dpo", "auditor"]), {
    form: { intent: "note", version: "1", body: "" },
    expect: { default: "403", dpo: "400" },
  }),
  check("privacy.$requestId.tsx", `/privacy/${ids.missing}`, { default: "403", compliance: "404", dpo: "404", auditor: "404" }),
  check("privacy.export.tsx", "/privacy/export", only(["dpo"])),
  check("privacy.export.tsx", "/privacy/export?state=nonsense", { default: "400" }),
  check("api.v1.privacy-requests.tsx", "/api/v1/privacy-requests", api({ default: "401" }), { form: {}, expect: { anonymous: "401", default: "401" } }),
  // Privacy erasure and access export (issue 5, parts 3 and 4): readers see the plan and files; only the
  // DPO proposes, approves, executes and exports (the POSTs below stop at validation).
  check("privacy.$requestId_.erasure.tsx", `/privacy/${ids.privacyRequests.deErasure}/erasure`, only(["compliance", "dpo", "auditor"]), { form: { intent: "approve" }, expect: { default: "403", dpo: "400" } }),
  check("privacy.$requestId_.erasure.tsx", `/privacy/${ids.missing}/erasure`, { default: "403", compliance: "404", dpo: "404", auditor: "404" }),
  check("privacy.$requestId_.erasure.tsx", `/privacy/${ids.privacyRequests.seAccess}/erasure`, { default: "403", compliance: "404", dpo: "404", auditor: "404" }),
  check("privacy.$requestId_.access-export.tsx", `/privacy/${ids.privacyRequests.seAccess}/access-export`, only(["compliance", "dpo", "auditor"]), { form: { intent: "publish" }, expect: { default: "403", dpo: "400" } }),
  check("privacy.$requestId_.artefacts.$artefactId.tsx", `/privacy/${ids.privacyRequests.deErasure}/artefacts/${ids.missing}`, { default: "403", compliance: "404", dpo: "404", auditor: "404" }),

  // Rule sets: the ops manager drafts in their region, compliance approves, the auditor reads
  check("rulesets._index.tsx", "/rulesets", only(["compliance", "opsSe", "auditor"])),
  check("rulesets.$versionId.tsx", `/rulesets/${ids.ruleSetVersions.deSubmitted}`, { ...only(["compliance", "auditor"]), opsSe: "404" }),
  check("rulesets.$versionId.tsx", `/rulesets/${ids.missing}`, { default: "403", compliance: "404", auditor: "404", opsSe: "404" }),
  check("rulesets.$versionId.tsx", `/rulesets/${ids.ruleSetVersions.seDraft}`, only(["compliance", "opsSe", "auditor"]), {
    // A malformed step: refused before the form is read for roles without rule sets, then 400 naming the field.
    form: { intent: "reject", revision: "0" },
    expect: { default: "403", compliance: "400", opsSe: "400", auditor: "400" },
  }),
  // The decision engine's signed rule-set API takes a bearer token (rulesets:read) only.
  check("api.v1.rulesets.$region.active.tsx", "/api/v1/rulesets/SE/active", api({ default: "401" })),
  check("api.v1.rulesets.$region.versions.$version.tsx", "/api/v1/rulesets/SE/versions/1", api({ default: "401" })),

  // The audit ledger: everyone sees their own events; each role sees its remit
  check("audit._index.tsx", "/audit", everyoneSignedIn),
  // Every role reads some events; one outside its remit answers exactly like a missing one (issue 13).
  check("audit.$seq.tsx", `/audit/${fixtureEvents.dePersonalDataRead}`, only(["compliance", "auditor", "dpo"], "404")),
  check("audit.$seq.tsx", `/audit/${fixtureEvents.staffAccountUpdated}`, only(["compliance", "auditor", "admin"], "404")),
  check("audit.$seq.tsx", "/audit/987654321", { default: "404" }),
  check("audit.export.tsx", "/audit/export?format=csv", ledgerVerifiers),
  check("audit.export.tsx", "/audit/export?format=xml", { default: "400" }),
  check("audit.verify.tsx", "/audit/verify", ledgerVerifiers, { form: {}, expect: { default: "403", compliance: "redirect:/audit/verify", auditor: "redirect:/audit/verify" }, startsBackgroundWork: true }),

  // Ledger API: public keys for anyone; proofs for verifiers (or an API token)
  check("api.v1.audit.keys.tsx", "/api/v1/audit/keys", { anonymous: "200", default: "200" }),
  check("api.v1.audit.checkpoints.latest.tsx", "/api/v1/audit/checkpoints/latest", api(ledgerVerifiers)),
  check("api.v1.audit.checkpoint.tsx", "/api/v1/audit/checkpoint", api(ledgerVerifiers)),
  check("api.v1.audit.proof.inclusion.tsx", `/api/v1/audit/proof/inclusion?seq=${fixtureEvents.dePersonalDataRead}&treeSize=2`, api(ledgerVerifiers)),
  check("api.v1.audit.proof.consistency.tsx", "/api/v1/audit/proof/consistency?from=1&to=2", api(ledgerVerifiers)),

  // Review workflow, contests, notices and oversight (issue 4.4–4.8). Posting an incomplete verdict is
  // refused for every reader (400) and, before the form is read, for roles without decisions (403).
  check("decisions.$decisionId.tsx", `/decisions/${ids.decisions.deReferred}`, { ...customerDataReaders, opsSe: "404" }, {
    form: { intent: "decide", reviewId: ids.reviews.deReferral, version: "1" },
    expect: { default: "403", compliance: "400", opsSe: "400", fraud: "400", dpo: "400", auditor: "400" },
  }),
  check("reviews._index.tsx", "/reviews?view=escalation", customerDataReaders, {
    form: { intent: "assign", assigneeId: "not-a-staff-id" },
    expect: { default: "403", compliance: "400", opsSe: "400", fraud: "400", dpo: "400", auditor: "400" },
  }),
  // A notice is an export of the decision: compliance and the region's ops manager, the DPO for contests.
  check("decisions.$decisionId.notice.tsx", `/decisions/${ids.decisions.seDeclined}/notice`, only(["compliance", "opsSe", "dpo"])),
  check("decisions.$decisionId.notice.tsx", `/decisions/${ids.decisions.ukDeclined}/notice?format=pdf`, { ...only(["compliance", "dpo"]), opsSe: "404" }),
  check("decisions.$decisionId.notice.tsx", `/decisions/${ids.missing}/notice`, { default: "403", compliance: "404", opsSe: "404", dpo: "404" }),
  check("decisions.$decisionId.notice.tsx", `/decisions/${ids.decisions.seDeclined}/notice?format=docx`, { default: "400" }),
  check("decisions.oversight.tsx", "/decisions/oversight", customerDataReaders),
  // Dashboards (policies/access.yaml: Dashboard fields per role)
  check("dashboards._index.tsx", "/dashboards", {
    default: "403",
    compliance: "redirect:/dashboards/risk",
    auditor: "redirect:/dashboards/risk",
    opsSe: "redirect:/dashboards/risk",
    fraud: "redirect:/dashboards/fraud",
    dpo: "redirect:/dashboards/operations",
  }),
  check("dashboards.risk.tsx", "/dashboards/risk", only(["compliance", "auditor", "opsSe"])),
  check("dashboards.fraud.tsx", "/dashboards/fraud", only(["compliance", "auditor", "opsSe", "fraud"])),
  check("dashboards.model.tsx", "/dashboards/model", only(["compliance", "auditor"])),
  check("dashboards.fairness.tsx", "/dashboards/fairness", only(["compliance", "auditor"])),
  check("dashboards.operations.tsx", "/dashboards/operations", only(["compliance", "auditor", "opsSe", "dpo"])),
  // Contest intake is for API tokens with privacy:write; a staff session is no token.
  check("api.v1.decisions.$externalId.contest.tsx", "/api/v1/decisions/ENG-SE-000001/contest", api({ default: "401" }), {
    form: { details: "I was declined but my income is enough" },
    expect: api({ default: "401" }),
  }),
  // ── Ingestion API and decision explorer (issue 4: ingest) ──
  // The ingestion endpoints take a bearer token only: a staff session is no credential there.
  check("api.v1.decisions.tsx", "/api/v1/decisions", api({ default: "401" }), { form: {}, expect: api({ default: "401" }) }),
  check("api.v1.repayment-outcomes.tsx", "/api/v1/repayment-outcomes", api({ default: "401" }), { form: {}, expect: api({ default: "401" }) }),
  check("api.v1.fraud-outcomes.tsx", "/api/v1/fraud-outcomes", api({ default: "401" }), { form: {}, expect: api({ default: "401" }) }),
  // CSV export needs "export Decision" (compliance, regional ops), within the viewer's regions.
  check("decisions.export.tsx", "/decisions/export?outcome=declined", only(["compliance", "opsSe"])),
  check("decisions.export.tsx", "/decisions/export?region=DE", { ...only(["compliance"]), opsSe: "400" }),
  check("decisions._index.tsx", "/decisions?sort=score&order=asc&scoreMin=0.2&scoreMax=0.9&cols=externalId%2Cscore", customerDataReaders),
  check("decisions._index.tsx", "/decisions?scoreMin=2", { default: "400", admin: "403" }),
  check("decisions.export.tsx", "/decisions/export?amountMin=abc", { default: "403", compliance: "400", opsSe: "400" }),
  // ── Background jobs (ADR 008): a job's domain decides who sees it; an unknown or invisible job is a 404 ──
  check("jobs.$jobId.tsx", `/jobs/${ids.missing}`, { default: "404" }, { form: { intent: "cancel" }, expect: { default: "404" } }),
  check("jobs.$jobId.tsx", "/jobs/not-a-job-id", { default: "404" }, { form: { intent: "stop" }, expect: { default: "400" } }),
  // ── Evidence packs (issue 11): auditors and compliance officers, each their own packs, within their regions ──
  check("evidence._index.tsx", "/evidence", ledgerVerifiers, {
    form: { intent: "estimate", from: "2026-01-01", to: "2026-12-31", regions: ["SE"], "include.decisions": "on" },
    expect: { default: "403", compliance: "200", auditor: "200" },
  }),
  check("evidence._index.tsx", "/evidence", ledgerVerifiers, {
    form: { intent: "estimate", from: "2026-12-31", to: "2026-01-01", regions: ["SE"], "include.decisions": "on" },
    expect: { default: "403", compliance: "400", auditor: "400" },
  }),
  check("evidence.$packId.download.tsx", `/evidence/${ids.missing}/download`, { default: "403", compliance: "404", auditor: "404" }),
];

export const everyone: Who[] = ["anonymous", "compliance", "opsSe", "fraud", "dpo", "auditor", "admin"];

/** The expected outcome for one visitor, or an error naming the gap in the table. */
export function expectedOutcome(spec: Spec, who: Who, url: string): Outcome {
  const outcome = spec[who] ?? (who === "anonymous" ? signInRedirect(url) : spec.default);
  if (!outcome) throw new Error(`route-access.ts: no expected outcome for ${who} at ${url}`);
  return outcome;
}
