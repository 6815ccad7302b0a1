/**
 * The operator credentials as the auditor replays them from the credentials contract's events
 * (CredenceOperators, docs/adr/0001-operators-sign-their-own-decisions.md): each credential's
 * institution, operator and key, and whether it is Active; each institution's unused enrolment
 * code; each institution's pending recovery. Nothing here is read from the contract's views.
 */
import type { CredentialKey } from "../domain/operator-steps";

export interface CredentialRecord {
  credentialId: bigint;
  /** BANK or CREDIT_CENTER (role hash, lower-case). */
  institution: string;
  operatorId: string;
  key: CredentialKey;
  active: boolean;
}

export interface PendingRecovery {
  recoveryId: bigint;
  key: CredentialKey;
}

export class CredentialBook {
  private readonly credentials = new Map<bigint, CredentialRecord>();
  private readonly enrolmentCodes = new Map<string, string>();
  private readonly recoveries = new Map<string, PendingRecovery>();

  /** Feed one decoded event of the credentials contract (in chain order). */
  apply(name: string, args: Record<string, unknown>): void {
    const institution = String(args.institution).toLowerCase();
    switch (name) {
      case "CredentialEnrolled": {
        const credentialId = BigInt(args.credentialId as bigint);
        this.credentials.set(credentialId, { credentialId, institution, operatorId: String(args.operatorId).toLowerCase(), key: keyOf(args.key), active: true });
        break;
      }
      case "CredentialRemoved": {
        const c = this.credentials.get(BigInt(args.credentialId as bigint));
        if (c) c.active = false;
        break;
      }
      case "EnrolmentCodeSet":
        this.enrolmentCodes.set(institution, String(args.codeSigner).toLowerCase());
        break;
      case "EnrolmentCodeRedeemed":
        this.enrolmentCodes.delete(institution);
        break;
      case "RecoveryProposed":
        this.recoveries.set(institution, { recoveryId: BigInt(args.recoveryId as bigint), key: keyOf(args.key) });
        break;
      case "RecoveryCompleted":
        // Completing a recovery forgets the institution's enrolment code too.
        this.enrolmentCodes.delete(institution);
        this.recoveries.delete(institution);
        break;
      case "RecoveryVetoed":
      case "RecoveryCancelled":
        this.recoveries.delete(institution);
        break;
    }
  }

  /** A credential ever enrolled (undefined when unknown). */
  get(credentialId: bigint): CredentialRecord | undefined {
    return this.credentials.get(credentialId);
  }

  /** The credential's institution while it is Active (undefined when unknown or removed). */
  activeInstitution(credentialId: bigint): string | undefined {
    const c = this.credentials.get(credentialId);
    return c?.active ? c.institution : undefined;
  }

  /** How many distinct operators of `institution` have an Active credential. */
  activeOperatorCount(institution: string): number {
    const operators = new Set<string>();
    for (const c of this.credentials.values()) if (c.active && c.institution === institution.toLowerCase()) operators.add(c.operatorId);
    return operators.size;
  }

  /** The address of the institution's unused enrolment code key, lower-case (undefined when none). */
  enrolmentCode(institution: string): string | undefined {
    return this.enrolmentCodes.get(institution.toLowerCase());
  }

  /** The institution's pending recovery (undefined when none). */
  pendingRecovery(institution: string): PendingRecovery | undefined {
    return this.recoveries.get(institution.toLowerCase());
  }
}

/** A CredentialKey tuple as ethers decodes it from an event. */
function keyOf(value: unknown): CredentialKey {
  const k = value as { kind: bigint; qx: string; qy: string; signer: string };
  return { kind: Number(k.kind) as CredentialKey["kind"], qx: String(k.qx), qy: String(k.qy), signer: String(k.signer) };
}
