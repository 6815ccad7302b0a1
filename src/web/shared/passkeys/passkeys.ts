/**
 * Passkeys in the browser (@simplewebauthn/browser): create one at enrolment, sign in with one,
 * and sign a step's digest with the passkey the operator signed in with. Every ceremony asks for
 * user verification: a step is valid on chain only with the UV flag.
 */
import { startAuthentication, startRegistration } from "@simplewebauthn/browser";
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/browser";

/** The WebAuthn ID of the passkey this tab signed in with, so decisions are signed by the same one. */
const SIGNED_IN_PASSKEY = "credence.passkey";

/** A ceremony's response as plain JSON data (the wire schemas type extension results as a record). */
type AsJson<T> = Omit<T, "clientExtensionResults"> & { clientExtensionResults: Record<string, unknown> };
function asJson<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(response: T): AsJson<T> {
  const clientExtensionResults: Record<string, unknown> = { ...response.clientExtensionResults };
  return { ...response, clientExtensionResults } as AsJson<T>;
}

export async function createPasskey(options: Record<string, unknown>) {
  return asJson(await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON }));
}

export async function signInAssertion(options: Record<string, unknown>) {
  const response = await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON });
  sessionStorage.setItem(SIGNED_IN_PASSKEY, response.id);
  return asJson(response);
}

export function forgetSignedInPasskey(): void {
  sessionStorage.removeItem(SIGNED_IN_PASSKEY);
}

/** An assertion over `challenge` (base64url of a step's digest) by the signed-in passkey. */
export async function signChallenge(challenge: string) {
  const id = sessionStorage.getItem(SIGNED_IN_PASSKEY);
  const response = await startAuthentication({
    optionsJSON: {
      challenge,
      rpId: window.location.hostname,
      userVerification: "required",
      timeout: 120_000,
      allowCredentials: id ? [{ id, type: "public-key" }] : [],
    },
  });
  return asJson(response);
}
