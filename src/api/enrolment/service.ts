/**
 * Enrolling operator passkeys (ADR 0001, sections 3 and 4), relayed by the gateway's role-less
 * relayer: the browser creates a passkey; the gateway verifies the registration and builds the
 * step that enrols it, and relays it once signed. While an institution's one-time enrolment code
 * is open, the code's key signs a RedeemEnrolmentCode step (in the browser: the code never
 * reaches the gateway); afterwards operators of the same institution sign an Enrol step (two of
 * distinct operators, or the only one). The contract checks every signature; the gateway only
 * carries them.
 */
import { createHmac, randomBytes } from "node:crypto";
import { generateRegistrationOptions, type RegistrationResponseJSON } from "@simplewebauthn/server";
import { hexlify, getBytes, ZeroAddress } from "ethers";
import type { LedgerClient } from "../../chain/ledger-client";
import type { ChainSender } from "../../chain/sender";
import {
  codeRedemptionStep,
  enrolmentStep,
  operatorDomain,
  passkeyKey,
  stepDigest,
  type CredentialKey,
  type OperatorStep,
} from "../../domain/operator-steps";
import { base64url } from "../../domain/webauthn";
import { DomainError } from "../../domain/domain-error";
import type { Db } from "../../store/db";
import { addDraftSignature, getDraft, saveChallenge, saveDraft, takeChallenge } from "../../store/operator-records";
import { p256OfCoseKey, verifiedRegistration } from "../../auth/passkeys";
import { stepProblem } from "../step-problems";
import { CHALLENGE_TTL_MS, INSTITUTION_ROLES, type Operator, type PasskeySettings } from "../operator-session/service";
import type { Institution } from "../operator-session/schemas";
import { DRAFT_VALIDITY_SECONDS, latestBlockTime, relayerOf, stepJson, stepSignatureOf, type StepJson, type SignatureInput } from "../decisions/steps";

export type EnrolmentMethod = "code" | "operators";

interface EnrolmentDraftRecord {
  institution: Institution;
  operatorId: string;
  key: CredentialKey;
  step: StepJson;
  digest: string;
  method: EnrolmentMethod;
  signaturesNeeded: number;
}

interface CollectedSignature {
  credentialId: string;
  signature: string;
}

export class EnrolmentService {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    private readonly relayer: ChainSender | undefined,
    private readonly settings: PasskeySettings,
    /** Keys operator IDs: an operator ID is a keyed hash of the institution and the label, never the label. */
    private readonly operatorIdKey: string,
  ) {}

  private get operators() {
    const operators = this.chain.operators;
    if (!operators) throw new DomainError({ code: "operators.not_deployed" });
    return operators;
  }

  /** Per institution: active credentials and whether its enrolment code is still open. */
  async status() {
    const one = async (institution: Institution) => {
      const role = INSTITUTION_ROLES[institution];
      const [active, code] = await Promise.all([this.operators.activeCredentials(role), this.operators.enrolmentCode(role)]);
      return { credentials: active.length, codeOpen: code !== ZeroAddress };
    };
    const [bank, creditCenter] = await Promise.all([one("bank"), one("credit_center")]);
    return { institutions: { bank, credit_center: creditCenter } };
  }

  /**
   * Passkey creation options for a new operator credential of `institution`: public while its
   * enrolment code is open, else only for a signed-in operator of the same institution.
   */
  async options(institution: Institution, operatorLabel: string, session: Operator | undefined) {
    const codeOpen = (await this.operators.enrolmentCode(INSTITUTION_ROLES[institution])) !== ZeroAddress;
    if (!codeOpen) {
      if (!session) throw new DomainError({ code: "session.required", detail: "the enrolment code is used: an operator of the institution must sign in" });
      if (session.institution !== institution) {
        throw new DomainError({ code: "enrolment.wrong_institution", detail: `a ${session.institution} operator cannot enrol for ${institution}` });
      }
    }
    const operatorId = this.operatorIdOf(institution, operatorLabel);
    const publicKey = await generateRegistrationOptions({
      rpName: "Credence operators",
      rpID: this.settings.rpId,
      userName: operatorLabel,
      userID: new Uint8Array(getBytes(operatorId)),
      attestationType: "none",
      supportedAlgorithmIDs: [-7],
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      timeout: CHALLENGE_TTL_MS,
    });
    const challengeId = randomBytes(16).toString("base64url");
    await saveChallenge(this.db, { id: challengeId, purpose: "enrolment", challenge: publicKey.challenge, payload: { institution, operatorId }, ttlMs: CHALLENGE_TTL_MS });
    return { challengeId, publicKey };
  }

  /** Verify the new passkey's registration and build the step that enrols it. */
  async draft(challengeId: string, response: RegistrationResponseJSON) {
    const taken = await takeChallenge<{ institution: Institution; operatorId: string }>(this.db, challengeId, "enrolment");
    if (!taken) throw new DomainError({ code: "enrolment.challenge_unknown", detail: "ask for new options" });
    const registration = await verifiedRegistration(response, taken.challenge, this.settings);
    if ("refused" in registration) {
      throw new DomainError({ code: "enrolment.registration_refused", detail: registration.refused });
    }
    const { qx, qy } = p256OfCoseKey(registration.credential.publicKey);
    const { institution, operatorId } = taken.payload;
    const role = INSTITUTION_ROLES[institution];
    const key = passkeyKey(qx, qy);
    const [code, operatorCount, now] = await Promise.all([
      this.operators.enrolmentCode(role),
      this.operators.activeOperatorCount(role),
      latestBlockTime(this.chain),
    ]);
    const method: EnrolmentMethod = code !== ZeroAddress ? "code" : "operators";
    const salt = hexlify(randomBytes(32));
    const notAfter = now + DRAFT_VALIDITY_SECONDS;
    const step: OperatorStep = method === "code" ? codeRedemptionStep(role, operatorId, key, salt, notAfter) : enrolmentStep(role, operatorId, key, salt, notAfter);
    const digest = stepDigest(operatorDomain(this.chain.chainId, await this.operators.getAddress()), step);
    const record: EnrolmentDraftRecord = {
      institution,
      operatorId,
      key,
      step: stepJson(step),
      digest,
      method,
      signaturesNeeded: method === "code" || operatorCount < 2n ? 1 : 2,
    };
    const draftId = randomBytes(16).toString("base64url");
    await saveDraft(this.db, { id: draftId, purpose: "enrolment", payload: record, expiresAt: new Date(Number(notAfter) * 1000) });
    return {
      draftId,
      institution,
      operatorId,
      key: { qx, qy },
      step: record.step,
      digest,
      challenge: base64url(getBytes(digest)),
      method,
      signaturesNeeded: record.signaturesNeeded,
    };
  }

  /** Add a signature to an enrolment draft; relay the enrolment once enough have come. */
  async sign(draftId: string, input: SignatureInput): Promise<{ status: "awaiting_signatures" | "enrolled"; credentialId?: string }> {
    const draft = await getDraft<EnrolmentDraftRecord, CollectedSignature>(this.db, draftId, "enrolment");
    if (!draft) throw new DomainError({ code: "enrolment.draft_unknown" });
    const d = draft.payload;
    const role = INSTITUTION_ROLES[d.institution];
    const relayer = relayerOf(this.relayer);
    const operators = this.operators.connect(relayer.wallet);
    let receipt;
    try {
      if (d.method === "code") {
        if (!input.signature) throw new DomainError({ code: "request.invalid", detail: "an enrolment by code needs the code key's 65-byte `signature`" });
        receipt = await relayer.send((o) => operators.redeemEnrolmentCode(role, d.operatorId, d.key, d.step.salt, d.step.notAfter, input.signature!, o));
      } else {
        const signature = stepSignatureOf(input);
        const signatures = await addDraftSignature<CollectedSignature>(this.db, draftId, { credentialId: input.credentialId!, signature });
        if (signatures.length < d.signaturesNeeded) return { status: "awaiting_signatures" };
        const sigs = signatures.map((s) => ({ credentialId: BigInt(s.credentialId), signature: s.signature }));
        receipt = await relayer.send((o) => operators.enrol(role, d.operatorId, d.key, d.step.salt, d.step.notAfter, sigs, o));
      }
    } catch (err) {
      throw stepProblem(err);
    }
    const event = receipt.logs.map((l) => this.operators.interface.parseLog(l)).find((e) => e?.name === "CredentialEnrolled");
    return { status: "enrolled", credentialId: event?.args.credentialId.toString() };
  }

  /** The operator ID of a label: HMAC-SHA256 keyed by the gateway's secret, over the institution and the label. */
  operatorIdOf(institution: Institution, label: string): string {
    return "0x" + createHmac("sha256", getBytes(this.operatorIdKey)).update(`credence.operator-id:${institution}:${label}`, "utf8").digest("hex");
  }
}
