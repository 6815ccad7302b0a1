/**
 * @credence/terminal-sdk: everything a POS terminal needs to talk to a Credence gateway.
 * Depends on @noble/curves and @noble/hashes only.
 */
export * from "./constants";
export { keccak256, keccak256Text, useKeccak256, bytesToHex, hexToBytes, utf8Bytes, WELL_FORMED_TEXT, type Keccak256 } from "./bytes";
export { checksumAddress, isAddress, EIP55_MESSAGE } from "./address";
export * from "./typed-data";
export * from "./slips";
export { signDigest, recoverSigner, addressOf } from "./signing";
export { fetchTransport, resendingTransport, requestJson, GatewayError, retryAfterMs, json, type Transport, type HttpRequest, type HttpReply, type ResendPolicy } from "./http";
export * from "./client";
