import * as openpgp from "openpgp";

// OpenPGP operations of the ledger, free of any database access so that the verifier, the benchmarks
// and evidence packs can use them anywhere.

// Ed25519 in the v4 "EdDSA" form (RFC 4880bis), which GnuPG 2.2 and later verify.
export async function generateSigningKey(name = "Attest ledger checkpoints") {
  const { privateKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "ed25519Legacy",
    userIDs: [{ name, email: "ledger@attest.invalid" }],
    format: "armored",
  });
  return privateKey;
}

export async function signDetached(privateKey: openpgp.PrivateKey, text: string) {
  const message = await openpgp.createMessage({ binary: Buffer.from(text, "utf8") });
  return (await openpgp.sign({ message, signingKeys: privateKey, detached: true, format: "armored" })) as string;
}

export async function verifyDetached(armoredPublicKey: string, text: string, armoredSignature: string) {
  try {
    const [publicKey, signature] = await Promise.all([
      openpgp.readKey({ armoredKey: armoredPublicKey }),
      openpgp.readSignature({ armoredSignature }),
    ]);
    const message = await openpgp.createMessage({ binary: Buffer.from(text, "utf8") });
    const { signatures } = await openpgp.verify({ message, signature, verificationKeys: publicKey, format: "binary" });
    await signatures[0]!.verified;
    return true;
  } catch {
    return false;
  }
}
