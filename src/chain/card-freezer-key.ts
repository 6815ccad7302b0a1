/**
 * The gateway's card-freezer key (ADR 0010): the key that relays a holder's "report my card lost"
 * and holds CARD_FREEZER, which can only move an active consumer card to frozen. It is derived
 * from the gateway's key, so whoever runs the gateway holds it with nothing more to configure; it
 * is a key of its own (its own address and nonces) so that it never shares the submitter's
 * nonce sequence, and so that the GATEWAY key gains nothing.
 */
import { concat, keccak256, toUtf8Bytes } from "ethers";

const DOMAIN_TAG = "credence.card-freezer-key:v1";

/** The card-freezer private key derived from the gateway's private key (0x-prefixed hex). */
export function cardFreezerKey(gatewayPrivateKey: string): string {
  return keccak256(concat([toUtf8Bytes(DOMAIN_TAG), gatewayPrivateKey]));
}
