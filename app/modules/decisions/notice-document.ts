import type { ReasonCode } from "./reason-codes.server";
import type { NoticeLabels, RegionNoticePolicy } from "./notice-policy.server";
import type { NoticeKind } from "./schema";

// The content of a customer notice, built once and rendered twice (printable HTML and PDF) so both
// say exactly the same (issue 4.7). Pure: the caller passes the decision, the catalogue and the policy.

/** ECOA / Regulation B practice (12 CFR 1002.9(b)(2), official comment): at most four principal reasons. */
export const MAX_NOTICE_REASONS = 4;

export type NoticeLanguage = RegionNoticePolicy["language"];

export interface NoticeSection {
  heading?: string;
  paragraphs: string[];
  list?: string[];
}

export interface NoticeDocument {
  kind: NoticeKind;
  regionCode: string;
  language: NoticeLanguage;
  locale: string;
  title: string;
  facts: { label: string; value: string }[];
  sections: NoticeSection[];
  /** The decision's reason codes the notice draws on (internal record; fraud codes are never printed). */
  reasonCodes: string[];
}

interface ReasonCatalogue {
  find(code: string): ReasonCode | undefined;
  neutralFraudText: Partial<Record<NoticeLanguage, string>> & { en: string };
}

interface NoticeRegion {
  code: string;
  locale: string;
  timeZone: string;
}

interface NoticeDecision {
  externalId: string;
  regionCode: string;
  amount: string;
  currency: string;
  decidedAt: Date;
  features: Record<string, unknown>;
}

/** Printed text never carries no-break or narrow spaces: the PDF's standard fonts and text search both expect plain ones. */
function plain(text: string) {
  return text.replace(/[\u00a0\u202f\u2009]/g, " ");
}

function fill(template: string, values: Record<string, string>) {
  return template.replace(/\{(\w+)\}/g, (match, key: string) => values[key] ?? match);
}

function formatDate(date: Date, region: NoticeRegion) {
  return plain(new Intl.DateTimeFormat(region.locale, { dateStyle: "long", timeZone: region.timeZone }).format(date));
}

// The ISO code, not the symbol: the PDF's standard fonts have no euro sign, and both renderings must match.
function formatAmount(amount: string, currency: string, locale: string) {
  return plain(new Intl.NumberFormat(locale, { style: "currency", currency, currencyDisplay: "code" }).format(Number(amount)));
}

/**
 * The principal reasons a notice may state: the decision's codes in order of contribution, only those
 * derived from features the model actually scored for this decision (DESIGN.md §8), at most four.
 * Non-disclosable (fraud) codes are replaced by the one neutral text, stated once (no tipping-off).
 */
export function selectNoticeReasons(
  reasons: { position: number; code: string }[],
  features: Record<string, unknown>,
  catalogue: ReasonCatalogue,
  language: NoticeLanguage,
) {
  const scored = new Set(Object.entries(features).filter(([, value]) => value !== null && value !== undefined).map(([name]) => name));
  const principal = [...reasons]
    .sort((a, b) => a.position - b.position)
    .map((reason) => ({ reason, entry: catalogue.find(reason.code) }))
    .filter((item): item is { reason: (typeof reasons)[number]; entry: ReasonCode } => item.entry !== undefined && item.entry.features.some((feature) => scored.has(feature)))
    .slice(0, MAX_NOTICE_REASONS);
  const texts: string[] = [];
  for (const { entry } of principal) {
    const text = entry.disclosable ? (entry.customerText[language] ?? entry.customerText.en) : (catalogue.neutralFraudText[language] ?? catalogue.neutralFraudText.en);
    if (!texts.includes(text)) texts.push(text);
  }
  return { codes: principal.map(({ reason }) => reason.code), texts };
}

function statementSections(statements: RegionNoticePolicy["adverseAction"], bureau: string): NoticeSection[] {
  return statements.map((statement) => ({ heading: statement.heading, paragraphs: statement.paragraphs.map((paragraph) => fill(paragraph, { bureau })) }));
}

export interface AdverseActionNoticeInput {
  decision: NoticeDecision;
  customerReference: string;
  reasons: { position: number; code: string }[];
  region: NoticeRegion;
  policy: RegionNoticePolicy;
  labels: NoticeLabels;
  catalogue: ReasonCatalogue;
  issuedAt: Date;
}

/** The adverse-action / explanation notice of a declined decision, in the region's language. */
export function buildAdverseActionNotice(input: AdverseActionNoticeInput): NoticeDocument {
  const { decision, region, policy, labels } = input;
  const language = policy.language;
  const amount = formatAmount(decision.amount, decision.currency, region.locale);
  const decidedOn = formatDate(decision.decidedAt, region);
  const { codes, texts } = selectNoticeReasons(input.reasons, decision.features, input.catalogue, language);
  const sections: NoticeSection[] = [
    { paragraphs: [fill(labels.adverseActionIntro, { amount, date: decidedOn })] },
    texts.length > 0 ? { heading: labels.reasonsHeading, paragraphs: [], list: texts } : { heading: labels.reasonsHeading, paragraphs: [labels.noReasons] },
  ];
  // FCRA 15 U.S.C. 1681m(a)(2): a US notice discloses the credit score used in the decision.
  const bureauScore = decision.features.bureauScore;
  if (region.code === "US" && typeof bureauScore === "number") {
    sections.push({ heading: labels.creditScoreHeading, paragraphs: [fill(labels.creditScoreText, { score: String(bureauScore), bureau: policy.creditBureau.split(",")[0]! })] });
  }
  sections.push(...statementSections(policy.adverseAction, policy.creditBureau));
  return {
    kind: "adverse_action",
    regionCode: region.code,
    language,
    locale: region.locale,
    title: labels.adverseActionTitle,
    facts: [
      { label: labels.reference, value: decision.externalId },
      { label: labels.customerReference, value: input.customerReference },
      { label: labels.decidedOn, value: decidedOn },
      { label: labels.amount, value: amount },
      { label: labels.issuedOn, value: formatDate(input.issuedAt, region) },
    ],
    sections,
    reasonCodes: codes,
  };
}

export interface ReviewOutcomeNoticeInput {
  decision: NoticeDecision;
  customerReference: string;
  review: { verdict: "upheld" | "overturned"; closedAt: Date };
  region: NoticeRegion;
  policy: RegionNoticePolicy;
  labels: NoticeLabels;
  issuedAt: Date;
}

/** The notice telling a customer who contested a decision what the human review concluded. */
export function buildReviewOutcomeNotice(input: ReviewOutcomeNoticeInput): NoticeDocument {
  const { decision, region, policy, labels, review } = input;
  const decidedOn = formatDate(decision.decidedAt, region);
  return {
    kind: "review_outcome",
    regionCode: region.code,
    language: policy.language,
    locale: region.locale,
    title: labels.reviewOutcomeTitle,
    facts: [
      { label: labels.reference, value: decision.externalId },
      { label: labels.customerReference, value: input.customerReference },
      { label: labels.decidedOn, value: decidedOn },
      { label: labels.reviewedOn, value: formatDate(review.closedAt, region) },
      { label: labels.issuedOn, value: formatDate(input.issuedAt, region) },
    ],
    sections: [
      { paragraphs: [fill(labels.reviewOutcomeIntro, { date: decidedOn, reference: decision.externalId })] },
      { heading: labels.outcomeHeading, paragraphs: [review.verdict === "upheld" ? labels.outcomeUpheld : labels.outcomeOverturned] },
      ...statementSections(policy.reviewOutcome, policy.creditBureau),
    ],
    reasonCodes: [],
  };
}

/** The notice as lines of text in reading order: what both renderings must show, and what is hashed. */
export function noticeTextLines(notice: NoticeDocument): string[] {
  return [
    notice.title,
    ...notice.facts.map((fact) => `${fact.label}: ${fact.value}`),
    ...notice.sections.flatMap((section) => [...(section.heading ? [section.heading] : []), ...section.paragraphs, ...(section.list ?? [])]),
  ];
}
