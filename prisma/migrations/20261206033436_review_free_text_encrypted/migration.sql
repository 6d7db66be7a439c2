-- Review free text encrypted at rest (ADR 020). The reviewer's justification and the second approver's
-- reason for sending a verdict back quote customers; they change type in place, from text to bytea
-- holding the text's UTF-8 bytes, so nothing is lost and the app reads them as before. New writes are
-- ciphertext under the customer's data key (a stored value starting with 0xA7 0x01 is ciphertext; UTF-8
-- text never starts with 0xA7), and `npm run data:encrypt` encrypts the rows still in plain text. On a
-- review of an erased customer the erasure stores its scrubbed text as UTF-8: it must stay readable
-- after their data key is destroyed, and it holds none of their personal data.
ALTER TABLE "review"
  ALTER COLUMN "justification" SET DATA TYPE BYTEA USING convert_to("justification", 'UTF8'),
  ALTER COLUMN "approval_rejected_reason" SET DATA TYPE BYTEA USING convert_to("approval_rejected_reason", 'UTF8');
