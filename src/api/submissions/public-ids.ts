/**
 * Submission IDs as terminals see them: the store's row ID and a tag only the gateway can make
 * (HMAC-SHA256 under a key derived from the token secret, 128 bits). A status URL is then a
 * capability: whoever was given it reads that submission, and nobody can walk the row IDs in
 * sequence to read the others. Gateways sharing a token secret (and a PostgreSQL) read each
 * other's IDs; the tag survives restarts, since the secret is kept.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PUBLIC_ID = /^(\d{1,18})-([0-9a-f]{32})$/;

export class SubmissionIds {
  private readonly key: Buffer;

  /** @param secret the gateway's token secret (any bytes or string); a random one when absent (tests). */
  constructor(secret: string | Uint8Array = randomBytes(32)) {
    this.key = createHmac("sha256", secret).update("credence.submission-id").digest();
  }

  /** The public ID of the submission stored under `rowId`. */
  toPublic(rowId: string): string {
    return `${rowId}-${this.tag(rowId)}`;
  }

  /** The row ID behind a public ID; undefined for anything this gateway did not hand out. */
  toRow(publicId: string): string | undefined {
    const m = PUBLIC_ID.exec(publicId);
    if (!m) return undefined;
    return timingSafeEqual(Buffer.from(this.tag(m[1]), "hex"), Buffer.from(m[2], "hex")) ? m[1] : undefined;
  }

  private tag(rowId: string): string {
    return createHmac("sha256", this.key).update(rowId).digest("hex").slice(0, 32);
  }
}
