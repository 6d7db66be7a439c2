import type * as OpenPGP from "openpgp";

// OpenPGP operations of the ledger, free of any database access so that the verifier, the benchmarks
// and evidence packs can use them anywhere. The library (1.5 MB of JavaScript) is loaded on first use:
// `npm run ledger:verify` sets its worker threads on the events before it checks a signature.
let library: Promise<typeof OpenPGP> | null = null;
const openpgpLibrary = () => (library ??= import("openpgp"));

// Ed25519 in the v4 "EdDSA" form (RFC 4880bis), which GnuPG 2.2 and later verify.
export async function generateSigningKey(name = "Attest ledger checkpoints") {
  const openpgp = await openpgpLibrary();
  const { privateKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "ed25519Legacy",
    userIDs: [{ name, email: "ledger@attest.invalid" }],
    format: "armored",
  });
  return privateKey;
}

export async function signDetached(privateKey: OpenPGP.PrivateKey, text: string) {
  const openpgp = await openpgpLibrary();
  const message = await openpgp.createMessage({ binary: Buffer.from(text, "utf8") });
  return (await openpgp.sign({ message, signingKeys: privateKey, detached: true, format: "armored" })) as string;
}

/**
 * Does `armoredSignature` sign `text` with the key? The key is armored, or already read
 * (readArmoredPublicKey): reading it is most of the cost of one check, so a verifier checking many
 * signatures by one key reads it once.
 */
export async function verifyDetached(publicKey: string | OpenPGP.Key, text: string, armoredSignature: string) {
  const openpgp = await openpgpLibrary();
  try {
    const [verificationKey, signature] = await Promise.all([
      typeof publicKey === "string" ? openpgp.readKey({ armoredKey: publicKey }) : publicKey,
      openpgp.readSignature({ armoredSignature }),
    ]);
    const message = await openpgp.createMessage({ binary: Buffer.from(text, "utf8") });
    const { signatures } = await openpgp.verify({ message, signature, verificationKeys: verificationKey, format: "binary" });
    await signatures[0]!.verified;
    return true;
  } catch {
    return false;
  }
}

/**
 * The raw Ed25519 key inside an OpenPGP v4 EdDSA (ed25519Legacy) key: its 32-byte public point and, for
 * a decrypted private key, its 32-byte seed. The ledger signs its C2SP note checkpoints with the same
 * key material as its OpenPGP checkpoints, so one pinned OpenPGP fingerprint also pins the note key.
 */
export function ed25519KeyMaterial(key: OpenPGP.Key): { publicKey: Buffer; seed: Buffer | null } {
  const packet = key.keyPacket as unknown as { algorithm: number; publicParams: { oid?: { toHex(): string }; Q?: Uint8Array }; privateParams?: { seed?: Uint8Array } };
  const q = packet.publicParams.Q;
  // Algorithm 22 (EdDSA legacy) on curve OID 1.3.6.1.4.1.11591.15.1 (Ed25519); Q = 0x40 ‖ 32 bytes.
  if (packet.algorithm !== 22 || packet.publicParams.oid?.toHex() !== "2b06010401da470f01" || !q || q.length !== 33 || q[0] !== 0x40) {
    throw new Error(`key ${key.getFingerprint().toUpperCase()} is not an Ed25519 (EdDSA legacy) OpenPGP key`);
  }
  const seed = packet.privateParams?.seed;
  return { publicKey: Buffer.from(q.subarray(1)), seed: seed ? Buffer.from(seed) : null };
}

export async function readArmoredPublicKey(armoredKey: string) {
  return (await openpgpLibrary()).readKey({ armoredKey });
}
