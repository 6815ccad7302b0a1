// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {WebAuthn} from "@openzeppelin/contracts/utils/cryptography/WebAuthn.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Bytes} from "@openzeppelin/contracts/utils/Bytes.sol";
import {IOperatorCredentials} from "./IOperatorCredentials.sol";

/// @title How an operator step is hashed and how a credential's signature over it is checked.
/// @notice A passkey's signature is a WebAuthn assertion whose challenge is the step's 32-byte
/// EIP-712 digest, verified with OpenZeppelin's `WebAuthn.verify` (user verification required);
/// an HSM's is a secp256k1 signature over the same digest, verified with OpenZeppelin's ECDSA.
/// Both refuse a high `s`. When a check fails, the error names the first rule broken.
library OperatorSignatures {
    /// @dev EIP-712 type hash of `OperatorStep` (the step kind is encoded as its uint8).
    bytes32 internal constant OPERATOR_STEP_TYPEHASH =
        keccak256("OperatorStep(uint8 kind,uint256 subject,bytes32 actionHash,bytes32 salt,uint64 notAfter)");

    /// @dev Half the P-256 group order: a signature's `s` above it is refused (OpenZeppelin's P256 rule).
    uint256 private constant _P256_HALF_N = P256.N / 2;

    /// @dev The signature bytes do not decode (`length` bytes given).
    error OperatorSignaturesMalformed(uint256 length);
    /// @dev The authenticator data is shorter than 37 bytes (rpIdHash, flags, signCount).
    error OperatorSignaturesAuthenticatorDataTooShort(uint256 length);
    /// @dev The client data has no `"type":"webauthn.get"` at `typeIndex`.
    error OperatorSignaturesWrongClientDataType(uint256 typeIndex);
    /// @dev The client data's challenge (at its challengeIndex) is not the base64url of `digest`.
    error OperatorSignaturesWrongChallenge(bytes32 digest);
    /// @dev The authenticator flags lack user presence (0x01) or user verification (0x04).
    error OperatorSignaturesUserNotVerified(bytes1 flags);
    /// @dev The flags say backed up (BS) without being backup-eligible (BE).
    error OperatorSignaturesInvalidBackupState(bytes1 flags);
    /// @dev `s` is in the upper half of the curve order (the malleable twin of a valid signature).
    error OperatorSignaturesHighS(bytes32 s);
    /// @dev The signature does not verify against the credential's key for `digest`.
    error OperatorSignaturesInvalidSignature(bytes32 digest);
    /// @dev A secp256k1 signature recovers `recovered`, not the credential's `expected` signer.
    error OperatorSignaturesWrongSigner(address expected, address recovered);

    /// @notice The EIP-712 struct hash of a step.
    function hashStruct(IOperatorCredentials.OperatorStep memory step) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(OPERATOR_STEP_TYPEHASH, uint8(step.kind), step.subject, step.actionHash, step.salt, step.notAfter)
            );
    }

    /// @notice The hash identifying a public key (unique per key across both kinds).
    function keyHash(IOperatorCredentials.CredentialKey memory key) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint8(key.kind), key.qx, key.qy, key.signer));
    }

    /// @notice What an `Enrol` or `RedeemEnrolmentCode` step binds: the institution, the
    /// operator and the key.
    function enrolmentHash(
        bytes32 institution,
        bytes32 operatorId,
        IOperatorCredentials.CredentialKey memory key
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(institution, operatorId, keyHash(key)));
    }

    /// @notice Revert unless `signature` is a valid signature by the key over `digest`.
    /// @param qx P-256 key, x (WebAuthnP256).
    /// @param qy P-256 key, y (WebAuthnP256).
    /// @param signer secp256k1 signer (Secp256k1).
    function verify(
        bytes32 digest,
        IOperatorCredentials.CredentialKind kind,
        bytes32 qx,
        bytes32 qy,
        address signer,
        bytes calldata signature
    ) internal view {
        if (kind == IOperatorCredentials.CredentialKind.WebAuthnP256) {
            verifyWebAuthn(digest, qx, qy, signature);
        } else {
            verifySecp256k1(digest, signer, signature);
        }
    }

    /// @notice Revert unless `signature` (an encoded WebAuthnAuth) is a user-verified WebAuthn
    /// assertion by (qx, qy) whose challenge is `digest`.
    function verifyWebAuthn(bytes32 digest, bytes32 qx, bytes32 qy, bytes calldata signature) internal view {
        (bool decoded, WebAuthn.WebAuthnAuth calldata auth) = WebAuthn.tryDecodeAuth(signature);
        if (!decoded) revert OperatorSignaturesMalformed(signature.length);
        bytes memory challenge = abi.encodePacked(digest);
        // The checks repeated by _diagnose run only on failure: a valid step pays for them once.
        if (!WebAuthn.verify(challenge, auth, qx, qy, true)) _diagnose(digest, challenge, auth);
    }

    /// @notice Revert unless `signature` (65 bytes r ‖ s ‖ v) by `signer` signs `digest`.
    function verifySecp256k1(bytes32 digest, address signer, bytes calldata signature) internal pure {
        (address recovered, ECDSA.RecoverError err, bytes32 arg) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.InvalidSignatureLength) revert OperatorSignaturesMalformed(uint256(arg));
        if (err == ECDSA.RecoverError.InvalidSignatureS) revert OperatorSignaturesHighS(arg);
        if (err != ECDSA.RecoverError.NoError) revert OperatorSignaturesInvalidSignature(digest);
        if (recovered != signer) revert OperatorSignaturesWrongSigner(signer, recovered);
    }

    /// @dev Name the first of WebAuthn.verify's rules that `auth` breaks, in its order.
    function _diagnose(bytes32 digest, bytes memory challenge, WebAuthn.WebAuthnAuth calldata auth) private pure {
        bytes calldata data = auth.authenticatorData;
        if (data.length < 37) revert OperatorSignaturesAuthenticatorDataTooShort(data.length);
        bytes memory client = bytes(auth.clientDataJSON);
        // solhint-disable-next-line quotes
        if (!_hasAt(client, auth.typeIndex, bytes('"type":"webauthn.get"'))) {
            revert OperatorSignaturesWrongClientDataType(auth.typeIndex);
        }
        // solhint-disable-next-line quotes
        bytes memory expected = bytes(string.concat('"challenge":"', Base64.encodeURL(challenge), '"'));
        if (!_hasAt(client, auth.challengeIndex, expected)) revert OperatorSignaturesWrongChallenge(digest);
        bytes1 flags = data[32];
        if (flags & WebAuthn.AUTH_DATA_FLAGS_UP == 0 || flags & WebAuthn.AUTH_DATA_FLAGS_UV == 0) {
            revert OperatorSignaturesUserNotVerified(flags);
        }
        if (flags & WebAuthn.AUTH_DATA_FLAGS_BE == 0 && flags & WebAuthn.AUTH_DATA_FLAGS_BS != 0) {
            revert OperatorSignaturesInvalidBackupState(flags);
        }
        if (uint256(auth.s) > _P256_HALF_N) revert OperatorSignaturesHighS(auth.s);
        revert OperatorSignaturesInvalidSignature(digest);
    }

    /// @dev Whether `haystack` holds `needle` at `index`.
    function _hasAt(bytes memory haystack, uint256 index, bytes memory needle) private pure returns (bool) {
        if (index > haystack.length || haystack.length - index < needle.length) return false;
        return keccak256(Bytes.slice(haystack, index, index + needle.length)) == keccak256(needle);
    }
}
