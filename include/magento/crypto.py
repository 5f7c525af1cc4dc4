"""Magento 2.4 value formats: Encryptor ciphertexts and password hashes, made exactly as Magento makes them."""

from __future__ import annotations

import base64
import hashlib
import random
import string

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from expectations import checks

CURRENT_PASSWORD_VERSION = "3_32_2_67108864"  # noqa: S105 (a hash version tag, not a password)
SALT_ALPHABET = string.ascii_letters + string.digits

ENC_ANY, ENC_LEGACY, ENC_SODIUM = checks.ENC_ANY, checks.ENC_LEGACY, checks.ENC_SODIUM


def generate_crypt_key(rng: random.Random) -> str:
    """A crypt/key value as `bin/magento setup:install` writes it in 2.4.7+ ("base64" + 32 random bytes)."""
    return "base64" + base64.b64encode(rng.randbytes(32)).decode()


def key_bytes(crypt_key: str) -> bytes:
    """The 32 bytes libsodium is given for one env.php crypt/key entry."""
    if crypt_key.startswith("base64"):
        return base64.b64decode(crypt_key[len("base64") :])
    return crypt_key.encode()[:32]


def encrypt(plaintext: str, crypt_key: str, nonce: bytes, key_version: int = 0) -> str:
    """Encryptor::encrypt with CIPHER_AEAD_CHACHA20POLY1305: nonce doubles as AAD; payload is nonce+ciphertext+tag."""
    sealed = ChaCha20Poly1305(key_bytes(crypt_key)).encrypt(nonce, plaintext.encode(), nonce)
    return f"{key_version}:3:" + base64.b64encode(nonce + sealed).decode()


def decrypt(value: str, crypt_key: str) -> str:
    """Encryptor::decrypt for the current cipher."""
    match = ENC_SODIUM.match(value)
    if not match:
        raise ValueError("not a Magento ChaCha20-Poly1305 ciphertext")
    payload = base64.b64decode(match["b64"])
    nonce = payload[:12]
    return ChaCha20Poly1305(key_bytes(crypt_key)).decrypt(nonce, payload[12:], nonce).decode()


def legacy_ciphertext(cipher_version: int, rng: random.Random, key_version: int = 0) -> str:
    """A value in one of the pre-2.2 cipher formats (Blowfish 0, Rijndael-128 1, Rijndael-256 2) that decrypt() still reads."""
    body = base64.b64encode(rng.randbytes(rng.choice((16, 24, 32)))).decode()
    if cipher_version == 2 and rng.random() < 0.5:
        iv = "".join(rng.choice(SALT_ALPHABET) for _ in range(32))
        return f"{key_version}:2:{iv}:{body}"
    return f"{key_version}:{cipher_version}:{body}"


def make_salt(rng: random.Random) -> str:
    """Random::getRandomString(32): the salt Magento stores beside a password hash."""
    return "".join(rng.choice(SALT_ALPHABET) for _ in range(32))


def argon2_hash(password: str, salt: str) -> str:
    """Real HASH_VERSION_ARGON2ID13_AGNOSTIC: Argon2id, 32-byte output, ops 2, 64 MiB, salt cut to 16 bytes."""
    kdf = Argon2id(salt=salt.encode()[:16].ljust(16, b"\0"), length=32, iterations=2, lanes=1, memory_cost=65536)
    return f"{kdf.derive(password.encode()).hex()}:{salt}:{CURRENT_PASSWORD_VERSION}"


def argon2_format_stand_in(password: str, salt: str) -> str:
    """A value with the exact shape of an Argon2 hash, made with BLAKE2b so a million customers seed in seconds."""
    digest = hashlib.blake2b((salt + password).encode(), digest_size=32).hexdigest()
    return f"{digest}:{salt}:{CURRENT_PASSWORD_VERSION}"


def md5_hash(password: str, salt: str) -> str:
    """Legacy version 0: md5(salt . password)."""
    return f"{hashlib.md5((salt + password).encode()).hexdigest()}:{salt}:0"  # noqa: S324 (planting the legacy format)


def sha256_hash(password: str, salt: str) -> str:
    """Legacy version 1: sha256(salt . password)."""
    return f"{hashlib.sha256((salt + password).encode()).hexdigest()}:{salt}:1"
