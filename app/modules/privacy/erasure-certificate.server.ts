import { randomUUID } from "node:crypto";
import type { Tx } from "~/utils/db.server";
import { canonicalJson } from "~/modules/audit/canonical-json";
import type { ArtefactSigner } from "./artefact-signing.server";
import { sha256Hex } from "./artefact-signing.server";
import type { ErasurePlan } from "./erasure-plan";
import { retentionPolicy } from "./retention-policy.server";

// The erasure certificate (DESIGN.md §9): what was erased, what was kept with its basis and date, who
// proposed, approved and executed it, and the signed ledger checkpoint at execution. It names the
// customer only by the pseudonymous reference, so it holds no personal data and outlives the erasure.
// Signed with the ledger key: `gpg --verify <file>.asc <file>` checks it.

export const ERASURE_CERTIFICATE_FORMAT = "attest-erasure-certificate/1";

export interface CertificateStaff {
  id: string;
  name: string;
  role: string;
  at: string;
}

export interface ErasureCertificateInput {
  requestId: string;
  requestReference: string;
  regime: string;
  receivedAt: Date;
  executedAt: Date;
  plan: ErasurePlan;
  proposedBy: CertificateStaff;
  approvedBy: CertificateStaff;
  executedBy: CertificateStaff;
  subjectKeyDestroyed: boolean;
  sealedLedgerEvents: number;
  checkpoint: { treeSize: number; rootHash: string; signedAt: string; keyFingerprint: string } | null;
}

const methodOf: Record<string, string> = {
  personal_data: "deleted (identity row, requester contact details, access exports); ledger personal data crypto-shredded",
  credit_decisions: "deleted with reason codes, notices and dependants",
  fraud_aml_records: "deleted",
  ai_system_logs: "deleted with the decision record",
  repayment_records: "deleted",
  reviews_and_contests: "deleted",
  privacy_request_records: "deleted with notes and pauses",
};

export function erasureCertificateDocument(input: ErasureCertificateInput, certificateId = randomUUID()) {
  const { plan } = input;
  return {
    format: ERASURE_CERTIFICATE_FORMAT,
    certificateId,
    statement:
      "The personal data of the subject named below by pseudonymous reference was erased as listed. Records the law obliges the controller to keep are retained, restricted to that purpose, and erased when their period ends.",
    request: { id: input.requestId, reference: input.requestReference, regime: input.regime, receivedAt: input.receivedAt.toISOString() },
    subject: { customerReference: plan.customerReference, region: plan.regionCode },
    executedAt: input.executedAt.toISOString(),
    proposedBy: input.proposedBy,
    approvedBy: input.approvedBy,
    executedBy: input.executedBy,
    erased: plan.categories
      .filter((category) => category.eraseNow.length > 0)
      .map((category) => ({
        category: category.category,
        label: category.label,
        items: category.eraseNow.length,
        method: methodOf[category.category] ?? "deleted",
        basis: retentionPolicy.categories[category.category]?.retention[plan.regionCode]?.basis ?? null,
      })),
    kept: plan.categories.flatMap((category) =>
      category.kept.map((group) => ({
        category: category.category,
        label: category.label,
        items: group.records.length,
        retainUntil: group.retainUntil,
        basis: group.basis,
        restricted: true,
      })),
    ),
    cryptoShredding: { subjectKeyDestroyed: input.subjectKeyDestroyed, ledgerEventsWithSealedPersonalData: input.sealedLedgerEvents },
    ledgerCheckpoint: input.checkpoint,
    retentionPolicy: { file: "policies/retention.yaml", sha256: plan.retentionPolicySha256 },
  };
}

/** Writes the signed certificate as a PrivacyArtefact of the request; returns it. */
export async function issueErasureCertificate(tx: Tx, signer: ArtefactSigner, input: ErasureCertificateInput, createdById: string) {
  const document = erasureCertificateDocument(input);
  // Canonical JSON (RFC 8785) then pretty-printed: stable bytes for the signature, readable for people.
  const text = `${JSON.stringify(JSON.parse(canonicalJson(document)), null, 2)}\n`;
  const bytes = Buffer.from(text, "utf8");
  const signature = await signer.sign(bytes);
  return tx.privacyArtefact.create({
    data: {
      requestId: input.requestId,
      kind: "erasure_certificate",
      fileName: `erasure-certificate-${input.requestReference}.json`,
      contentType: "application/json",
      content: bytes,
      sha256: sha256Hex(bytes),
      sizeBytes: bytes.length,
      signature,
      createdById,
    },
  });
}
