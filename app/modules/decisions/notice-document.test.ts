import { describe, expect, it } from "vitest";
import { findRegion } from "~/modules/access/regions.server";
import { MAX_NOTICE_REASONS, buildAdverseActionNotice, buildReviewOutcomeNotice, noticeTextLines, selectNoticeReasons, type NoticeDocument } from "./notice-document";
import { noticePolicy } from "./notice-policy.server";
import { renderNoticeHtml, renderNoticePdf } from "./notice-render.server";
import { findReasonCode, reasonCodeCatalogue } from "./reason-codes.server";

// The customer notice (issue 4.7): which reasons it may state, the statements each region's regulators
// require, and that the printable page and the PDF carry exactly the same text.

const catalogue = { find: findReasonCode, neutralFraudText: reasonCodeCatalogue.neutralFraudText };
const features = { age: 41, bureauScore: 540, previousDelinquencies: 2, verifiedMonthlyIncome: 2100, existingExposure: 3000, creditHistoryMonths: 8, internalLatePayments: 1, fraudScore: 0.8, deviceRisk: "high", velocity24h: 5 };

function adverseNotice(regionCode: "SE" | "DE" | "NL" | "UK" | "US" | "AU", reasons: string[], featureSet: Record<string, unknown> = features) {
  const region = findRegion(regionCode)!;
  const policy = noticePolicy.regions[regionCode]!;
  return buildAdverseActionNotice({
    decision: { externalId: `ENG-${regionCode}-000042`, regionCode, amount: "1234.50", currency: region.currency, decidedAt: new Date("2026-01-31T23:30:00Z"), features: featureSet },
    customerReference: "CUS-TEST-0001",
    reasons: reasons.map((code, index) => ({ position: index + 1, code })),
    region: { code: region.code, locale: region.locale, timeZone: region.timeZone },
    policy,
    labels: noticePolicy.labels[policy.language],
    catalogue,
    issuedAt: new Date("2026-02-02T09:00:00Z"),
  });
}

const textOf = (notice: NoticeDocument) => noticeTextLines(notice).join("\n");

describe("selectNoticeReasons", () => {
  it("states at most four principal reasons, in order of contribution", () => {
    const { codes, texts } = selectNoticeReasons(
      ["CH01", "AF01", "EX01", "CH02", "CH03"].map((code, index) => ({ position: index + 1, code })),
      features,
      catalogue,
      "en",
    );
    expect(codes).toHaveLength(MAX_NOTICE_REASONS);
    expect(codes).toEqual(["CH01", "AF01", "EX01", "CH02"]);
    expect(texts[0]).toBe(findReasonCode("CH01")!.customerText.en);
  });

  it("replaces every fraud reason by the one neutral text, stated once", () => {
    const fraudCodes = reasonCodeCatalogue.codes.filter((reason) => reason.category === "fraud").slice(0, 2);
    const { codes, texts } = selectNoticeReasons(
      [...fraudCodes.map((reason) => reason.code), "CH01"].map((code, index) => ({ position: index + 1, code })),
      Object.fromEntries(reasonCodeCatalogue.codes.flatMap((reason) => reason.features).map((feature) => [feature, 1])),
      catalogue,
      "de",
    );
    expect(codes).toEqual([...fraudCodes.map((reason) => reason.code), "CH01"]);
    expect(texts).toEqual([reasonCodeCatalogue.neutralFraudText.de, findReasonCode("CH01")!.customerText.de]);
    // Nothing names the signal that fired (tipping-off).
    for (const reason of fraudCodes) expect(texts.join(" ")).not.toContain(reason.description);
  });

  it("cites only reasons derived from features the model actually scored", () => {
    const { codes } = selectNoticeReasons(
      [
        { position: 1, code: "CH02" },
        { position: 2, code: "CH01" },
      ],
      { age: 30, bureauScore: 500 },
      catalogue,
      "en",
    );
    expect(codes).toEqual(["CH01"]);
  });
});

describe("regulator statements by region", () => {
  it("gives a US notice the ECOA statement, the credit bureau, the credit score and the FCRA rights", () => {
    const text = textOf(adverseNotice("US", ["CH01", "AF01"]));
    expect(text).toContain("Equal Credit Opportunity Act prohibits creditors from discriminating");
    expect(text).toContain("Consumer Financial Protection Bureau");
    expect(text).toContain("Equifax Information Services LLC");
    expect(text).toContain("right to a free copy of your report");
    expect(text).toContain("dispute");
    expect(text).toContain("was 540");
    expect(text).toContain("USD 1,234.50");
  });

  it("writes EU notices in the region's language with the Art. 22(3) rights and the CCD2 explanation", () => {
    const swedish = textOf(adverseNotice("SE", ["CH01"]));
    expect(swedish).toContain("Besked om vårt kreditbeslut");
    expect(swedish).toMatch(/prövat av en människa, att framföra dina synpunkter och att bestrida beslutet/);
    expect(swedish).toContain("förklaring av kreditprövningen");
    const german = textOf(adverseNotice("DE", ["CH01"]));
    expect(german).toContain("das Eingreifen einer Person zu erwirken, Ihren eigenen Standpunkt darzulegen und die Entscheidung anzufechten");
    expect(german).toContain("Erläuterung der Kreditwürdigkeitsprüfung");
    expect(german).toContain("SCHUFA");
    // The decision was taken on 1 February in Berlin (23:30 UTC on 31 January).
    expect(german).toContain("1. Februar 2026");
    const dutch = textOf(adverseNotice("NL", ["CH01"]));
    expect(dutch).toContain("menselijke tussenkomst");
    expect(dutch).toContain(findReasonCode("CH01")!.customerText.nl!);
  });

  it("gives UK and Australian notices their own equivalents, without the US statements", () => {
    const uk = textOf(adverseNotice("UK", ["CH01"]));
    expect(uk).toContain("human intervention");
    expect(uk).toContain("Financial Ombudsman Service");
    expect(uk).not.toContain("Equal Credit Opportunity Act");
    const au = textOf(adverseNotice("AU", ["CH01"]));
    expect(au).toContain("Australian Financial Complaints Authority");
    expect(au).toContain("within 90 days");
  });

  it("has statements for every region in the policy", () => {
    for (const code of ["SE", "DE", "NL", "UK", "US", "AU"] as const) {
      expect(noticePolicy.regions[code]?.adverseAction.length, code).toBeGreaterThan(0);
    }
  });
});

/** The text a PDF shows: pdfkit writes each line as a TJ array of WinAnsi hex strings. */
function pdfText(pdf: Buffer) {
  const decoder = new TextDecoder("windows-1252");
  return [...pdf.toString("latin1").matchAll(/\[([^\]]*)\] TJ/g)]
    .map((match) => [...match[1]!.matchAll(/<([0-9a-f]*)>/g)].map((hex) => decoder.decode(Buffer.from(hex[1]!, "hex"))).join(""))
    .join(" ");
}

function htmlText(html: string) {
  const main = /<main>([\s\S]*)<\/main>/.exec(html)![1]!;
  return main
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

const squeeze = (text: string) => text.replace(/\s+/g, "");

describe("the two renderings", () => {
  it.each(["SE", "DE", "NL", "UK", "US", "AU"] as const)("print the same text as HTML and PDF (%s)", async (region) => {
    const notice = adverseNotice(region, ["FR01", "CH01", "AF01", "EX01", "CH03"]);
    const expected = squeeze(noticeTextLines(notice).join(""));
    expect(squeeze(htmlText(renderNoticeHtml(notice)))).toBe(expected);
    expect(squeeze(pdfText(await renderNoticePdf(notice, { compress: false })))).toBe(expected);
  });

  it("embeds nothing remote in the printable page or the PDF", async () => {
    const notice = adverseNotice("US", ["CH01"]);
    const html = renderNoticeHtml(notice, { pdfHref: "/decisions/x/notice?format=pdf" });
    expect(html).not.toMatch(/<(script|img|link|iframe)\b/i);
    expect(html).toContain("@media print");
    const pdf = (await renderNoticePdf(notice, { compress: false })).toString("latin1");
    expect(pdf).not.toMatch(/\/URI|\/FontFile|\/Launch|\/JavaScript/);
  });

  it("states the human review's outcome", () => {
    const region = findRegion("DE")!;
    const policy = noticePolicy.regions.DE!;
    const notice = buildReviewOutcomeNotice({
      decision: { externalId: "ENG-DE-1", regionCode: "DE", amount: "10", currency: "EUR", decidedAt: new Date("2026-03-01T10:00:00Z"), features: {} },
      customerReference: "CUS-1",
      review: { verdict: "upheld", closedAt: new Date("2026-03-05T10:00:00Z") },
      region: { code: "DE", locale: region.locale, timeZone: region.timeZone },
      policy,
      labels: noticePolicy.labels.de,
      issuedAt: new Date("2026-03-05T11:00:00Z"),
    });
    expect(textOf(notice)).toContain("bleibt es bei unserer ursprünglichen Entscheidung");
    expect(notice.reasonCodes).toEqual([]);
  });
});
