"""PrivateBin v2 paste encryption: pure, CPU-heavy functions to run off the event loop."""

import base64
import json
import os
import zlib
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

ITERATIONS = 100_000
KEY_BITS = 256
TAG_BITS = 128
IV_BYTES = 16
SALT_BYTES = 8
FORMATTER = "plaintext"
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class EncryptedPaste:
    """The JSON body to POST and the key that goes only into the link's fragment."""

    body: dict[str, Any]
    key: bytes

    def __repr__(self) -> str:
        return "EncryptedPaste(<redacted>)"


def encrypt(text: str, *, expire: str, burn_after_reading: bool = True) -> EncryptedPaste:
    """Encrypt text into a PrivateBin v2 paste body with a fresh random key."""
    key = os.urandom(KEY_BITS // 8)
    iv = os.urandom(IV_BYTES)
    salt = os.urandom(SALT_BYTES)
    spec = [_b64(iv), _b64(salt), ITERATIONS, KEY_BITS, TAG_BITS, "aes", "gcm", "zlib"]
    adata = [spec, FORMATTER, 0, int(burn_after_reading)]
    derived = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=KEY_BITS // 8, salt=salt, iterations=ITERATIONS
    ).derive(key)
    ciphertext = AESGCM(derived).encrypt(iv, _deflate(_compact({"paste": text})), _compact(adata))
    body = {"v": 2, "adata": adata, "ct": _b64(ciphertext), "meta": {"expire": expire}}
    return EncryptedPaste(body=body, key=key)


def b58encode(data: bytes) -> str:
    """Base58 with the bitcoin alphabet, as PrivateBin uses for the key in the link."""
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(B58_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _compact(value: object) -> bytes:
    # PrivateBin authenticates the exact bytes of JSON.stringify, which has no spaces.
    return json.dumps(value, separators=(",", ":")).encode()


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()
