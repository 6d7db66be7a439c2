// Free text about a customer never enters the ledger in clear (ledger.server.ts, freeTextSubject): an
// event's justification column is then empty and its changes name the field as sealed or withheld.

/** What to show where an event's justification is empty: why it is, or "—" when there was none. */
export function freeTextNote(changes: unknown) {
  const listed = (key: string) => {
    const value = changes && typeof changes === "object" ? (changes as Record<string, unknown>)[key] : null;
    return Array.isArray(value) && value.includes("justification");
  };
  if (listed("sealedFields")) return "sealed under the customer's key (may contain personal data)";
  if (listed("withheldFields")) return "not in the ledger (may contain personal data); kept on the record";
  return "—";
}
