import { z } from "zod";
import { loadPolicyFile } from "~/utils/policy-file.server";
import { RegionCodeSchema } from "~/modules/access/regions.server";

// policies/notices.yaml: the wording and the regulator-required statements of customer notices,
// validated at start-up like every policy.

const LabelsSchema = z
  .object({
    adverseActionTitle: z.string().min(1),
    reviewOutcomeTitle: z.string().min(1),
    reference: z.string().min(1),
    customerReference: z.string().min(1),
    decidedOn: z.string().min(1),
    issuedOn: z.string().min(1),
    amount: z.string().min(1),
    adverseActionIntro: z.string().includes("{amount}").includes("{date}"),
    reasonsHeading: z.string().min(1),
    noReasons: z.string().min(1),
    creditScoreHeading: z.string().min(1),
    creditScoreText: z.string().includes("{score}"),
    reviewOutcomeIntro: z.string().includes("{date}"),
    outcomeHeading: z.string().min(1),
    outcomeUpheld: z.string().min(1),
    outcomeOverturned: z.string().min(1),
    reviewedOn: z.string().min(1),
  })
  .strict();

export type NoticeLabels = z.infer<typeof LabelsSchema>;

const StatementSchema = z
  .object({
    heading: z.string().min(1),
    // The rule that requires the statement: shown to reviewers, not printed on the notice.
    basis: z.string().min(1),
    paragraphs: z.array(z.string().min(1)).min(1),
  })
  .strict();

export type NoticeStatement = z.infer<typeof StatementSchema>;

const languages = ["en", "sv", "de", "nl"] as const;

const RegionNoticeSchema = z
  .object({
    language: z.enum(languages),
    creditBureau: z.string().min(1),
    adverseAction: z.array(StatementSchema).min(1),
    reviewOutcome: z.array(StatementSchema).min(1),
  })
  .strict();

export type RegionNoticePolicy = z.infer<typeof RegionNoticeSchema>;

export const NoticePolicySchema = z
  .object({
    version: z.literal(1),
    labels: z.object({ en: LabelsSchema, sv: LabelsSchema, de: LabelsSchema, nl: LabelsSchema }).strict(),
    regions: z.record(RegionCodeSchema, RegionNoticeSchema),
  })
  .strict()
  .superRefine((policy, context) => {
    for (const region of RegionCodeSchema.options) {
      if (!policy.regions[region]) context.addIssue({ code: z.ZodIssueCode.custom, path: ["regions"], message: `region ${region} has no notice statements` });
    }
  });

export type NoticePolicy = z.infer<typeof NoticePolicySchema>;

export const noticePolicy: NoticePolicy = loadPolicyFile("notices.yaml", NoticePolicySchema);
