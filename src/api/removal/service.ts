/**
 * Removing an operator credential (ADR 0001, section 4), relayed by the gateway's role-less
 * relayer: a signed-in operator asks for the removal of a credential of their own institution;
 * the gateway drafts the one `Remove` step the contract verifies, collects its signatures and
 * relays it once they make the contract's quorum: one credential of the removed credential's own
 * operator alone, or two other operators of the institution (the only other one while it has
 * two operators). Each signature is tried against the contract as it arrives (a static call), so
 * a bad one is refused with its stable code at once and never kept. Removal takes effect at once:
 * the removed credential's sessions end on their next request.
 *
 * The gateway refuses to draft the removal of an institution's last active credential: the
 * contract would allow it, but the institution could then act only after a governance recovery
 * (section 5). An operator who must retire their only credential enrols another first.
 */
import { randomBytes } from "node:crypto";
import { getBytes, hexlify } from "ethers";
import type { LedgerClient } from "../../chain/ledger-client";
import type { ChainSender } from "../../chain/sender";
import { contractRefusal } from "../../chain/contract-errors";
import { CredentialKind, CredentialStatus, operatorDomain, passkeyKey, removalStep, secp256k1Key, stepDigest, type CredentialKey } from "../../domain/operator-steps";
import { base64url } from "../../domain/webauthn";
import { DomainError } from "../../domain/domain-error";
import type { Db } from "../../store/db";
import { addDraftSignature, getDraft, saveDraft } from "../../store/operator-records";
import { stepProblem } from "../step-problems";
import { INSTITUTION_ROLES, institutionOfRole, type Operator } from "../operator-session/service";
import type { Institution } from "../operator-session/schemas";
import { DRAFT_VALIDITY_SECONDS, latestBlockTime, relayerOf, stepJson, stepSignatureOf, type SignatureInput, type StepJson } from "../decisions/steps";

interface RemovalDraftRecord {
  credentialId: string;
  institution: Institution;
  /** The removed credential's operator: its signature alone suffices. */
  operatorId: string;
  step: StepJson;
  digest: string;
}

interface CollectedSignature {
  credentialId: string;
  signature: string;
}

/** Credential IDs are uint64 on chain. */
const MAX_CREDENTIAL_ID = 2n ** 64n - 1n;

export type RemovalStatus = "awaiting_signatures" | "removed";

export class RemovalService {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    private readonly relayer: ChainSender | undefined,
  ) {}

  private get operators() {
    const operators = this.chain.operators;
    if (!operators) throw new DomainError({ code: "operators.not_deployed" });
    return operators;
  }

  /** A credential as the contract holds it; an ID beyond uint64 is no credential (status None). */
  private async credential(id: string) {
    const n = BigInt(id);
    if (n > MAX_CREDENTIAL_ID) throw new DomainError({ code: "removal.credential_unknown" });
    return this.operators.credential(n);
  }

  /** Signatures of operators other than the removed credential's the contract requires now. */
  private async othersRequired(institution: Institution): Promise<number> {
    const operators = await this.operators.activeOperatorCount(INSTITUTION_ROLES[institution]);
    return operators - 1n >= 2n ? 2 : 1;
  }

  /** An active credential of the session's institution, or the problem that says why not. */
  private async removable(session: Operator, credentialId: string) {
    const c = await this.credential(credentialId);
    const institution = institutionOfRole(c.institution);
    if (Number(c.status) === CredentialStatus.None || !institution) {
      throw new DomainError({ code: "removal.credential_unknown" });
    }
    if (institution !== session.institution) {
      throw new DomainError({ code: "removal.wrong_institution", detail: `a ${session.institution} operator cannot remove a credential of the ${institution}` });
    }
    if (Number(c.status) !== CredentialStatus.Active) {
      throw new DomainError({ code: "removal.credential_not_active" });
    }
    return { credential: c, institution };
  }

  /** Draft the Remove step of `credentialId` for its operators to sign. */
  async draft(session: Operator, credentialId: string) {
    const { credential, institution } = await this.removable(session, credentialId);
    const active = await this.operators.activeCredentials(INSTITUTION_ROLES[institution]);
    if (active.length <= 1) {
      throw new DomainError({
        code: "removal.last_credential",
        detail: "removing it would leave the institution unable to act until a governance recovery: enrol another credential first",
      });
    }
    const key: CredentialKey = Number(credential.kind) === CredentialKind.WebAuthnP256 ? passkeyKey(credential.qx, credential.qy) : secp256k1Key(credential.signer);
    const step = removalStep(BigInt(credentialId), key, hexlify(randomBytes(32)), (await latestBlockTime(this.chain)) + DRAFT_VALIDITY_SECONDS);
    const digest = stepDigest(operatorDomain(this.chain.chainId, await this.operators.getAddress()), step);
    const record: RemovalDraftRecord = { credentialId, institution, operatorId: credential.operatorId, step: stepJson(step), digest };
    const draftId = randomBytes(16).toString("base64url");
    await saveDraft(this.db, { id: draftId, purpose: "removal", payload: record, expiresAt: new Date(Number(step.notAfter) * 1000) });
    return {
      draftId,
      credentialId,
      institution,
      operatorId: credential.operatorId,
      step: record.step,
      digest,
      challenge: base64url(getBytes(digest)),
      othersNeeded: await this.othersRequired(institution),
      signedBy: [] as string[],
    };
  }

  /** A removal draft, for another operator of the institution to sign. */
  async show(session: Operator, draftId: string) {
    const draft = await getDraft<RemovalDraftRecord, CollectedSignature>(this.db, draftId, "removal");
    if (!draft || draft.payload.institution !== session.institution) throw new DomainError({ code: "removal.draft_unknown" });
    const d = draft.payload;
    return {
      draftId,
      credentialId: d.credentialId,
      institution: d.institution,
      operatorId: d.operatorId,
      step: d.step,
      digest: d.digest,
      challenge: base64url(getBytes(d.digest)),
      othersNeeded: await this.othersRequired(d.institution),
      signedBy: draft.signatures.map((s) => s.credentialId),
    };
  }

  /**
   * Add a signature to a removal draft: refused at once if the contract refuses it; the removal
   * is relayed when the signer is the removed credential's own operator, or once enough other
   * operators signed.
   */
  async sign(session: Operator, draftId: string, input: SignatureInput): Promise<{ status: RemovalStatus; credentialId: string; transactionHash?: string }> {
    const draft = await getDraft<RemovalDraftRecord, CollectedSignature>(this.db, draftId, "removal");
    if (!draft) throw new DomainError({ code: "removal.draft_unknown" });
    const d = draft.payload;
    await this.removable(session, d.credentialId);
    const signature: CollectedSignature = { credentialId: input.credentialId ?? "", signature: stepSignatureOf(input) };
    const signer = await this.credential(signature.credentialId);
    const others = [...draft.signatures.filter((s) => s.credentialId !== signature.credentialId), signature];
    const required = await this.othersRequired(d.institution);
    const toRelay = signer.operatorId === d.operatorId ? [signature] : others.length >= required ? others : undefined;
    const relayer = relayerOf(this.relayer);
    const operators = this.operators.connect(relayer.wallet);
    const args = (sigs: CollectedSignature[]) =>
      [BigInt(d.credentialId), d.step.salt, BigInt(d.step.notAfter), sigs.map((s) => ({ credentialId: BigInt(s.credentialId), signature: s.signature }))] as const;
    try {
      if (!toRelay) {
        // Short of the quorum, the contract still checks this signature, then refuses the quorum:
        // any other refusal is this signature's fault, and it is not kept.
        const quorumOnly = await operators.remove.staticCall(...args([signature])).then(
          () => false,
          (err: unknown) => {
            const refusal = contractRefusal(this.chain, err);
            if (refusal?.error.name !== "OperatorCredentialsQuorumNotMet") throw refusal ?? err;
            return true;
          },
        );
        if (quorumOnly) {
          await addDraftSignature(this.db, draftId, signature);
          return { status: "awaiting_signatures", credentialId: d.credentialId };
        }
      }
      const receipt = await relayer.send((o) => operators.remove(...args(toRelay ?? [signature]), o));
      return { status: "removed", credentialId: d.credentialId, transactionHash: receipt.hash };
    } catch (err) {
      throw stepProblem(err);
    }
  }
}
