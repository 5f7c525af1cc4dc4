"""Card-number detection and Magento's value formats."""

from __future__ import annotations

import base64
import random

import pytest

from expectations.checks import contains_pan, find_pans, luhn_ok
from include.demo.cards import format_pan, make_pan
from include.magento import crypto

VISA = "4111111111111111"
AMEX = "378282246310005"


@pytest.mark.parametrize(
    "text",
    [
        f"card {VISA} thanks",
        f"card {format_pan(VISA, 'spaced')}",
        f"card {format_pan(VISA, 'dashed')}",
        f"amex {format_pan(AMEX, 'spaced')}",
        f"amex {AMEX}",
        '{"cc_number": "5555-5555-5555-4444"}',
        "4222222222222",
    ],
)
def test_card_numbers_are_found(text):
    assert contains_pan(text)


@pytest.mark.parametrize(
    "text",
    [
        "order 1000000000000001 shipped",  # 16 digits, fails Luhn
        "loyalty id 9000000000000008",  # Luhn-valid, no card issuer prefix
        "ref 1234567890123452",  # Luhn-valid, prefix 1
        "qty 12 and 4111",
        "4444444444444444",
        "",
        None,
        "2026-11-30 12:00:00",
        "4111 1111-1111 1111",  # mixed separators are not one card number
    ],
)
def test_near_misses_are_not_found(text):
    assert not contains_pan(text)


def test_mixed_separators_do_not_glue_a_preceding_number():
    assert list(find_pans(f"qty 12 {VISA}")) == [VISA]


def test_generated_card_numbers_pass_luhn_and_keep_their_prefix():
    rng = random.Random(1)
    for prefix, length in (("4", 16), ("51", 16), ("37", 15), ("6011", 16)):
        pan = make_pan(rng, prefix, length)
        assert len(pan) == length and pan.startswith(prefix) and luhn_ok(pan)


def test_encrypt_matches_magento_format_and_round_trips():
    key = crypto.generate_crypt_key(random.Random(3))
    value = crypto.encrypt("a" * 32, key, b"\x01" * 12)
    assert crypto.ENC_SODIUM.match(value)
    assert len(value) == len("0:3:") + 80  # a 32-char token gives 0:3: + 80 characters (PII-MAP.md section 9)
    assert len(base64.b64decode(value[4:])) == 32 + 28
    assert crypto.decrypt(value, key) == "a" * 32
    assert not crypto.ENC_LEGACY.match(value)


@pytest.mark.parametrize("version", [0, 1, 2])
def test_legacy_ciphertexts_look_like_magento_legacy_values(version):
    value = crypto.legacy_ciphertext(version, random.Random(version))
    assert crypto.ENC_LEGACY.match(value) and crypto.ENC_ANY.match(value)


def test_password_hash_formats():
    salt = crypto.make_salt(random.Random(5))
    assert len(salt) == 32
    assert crypto.md5_hash("pw", salt).endswith(":0") and len(crypto.md5_hash("pw", salt).split(":")[0]) == 32
    assert crypto.sha256_hash("pw", salt).endswith(":1") and len(crypto.sha256_hash("pw", salt).split(":")[0]) == 64
    stand_in = crypto.argon2_format_stand_in("pw", salt)
    real = crypto.argon2_hash("pw", salt)
    for value in (stand_in, real):
        digest, stored_salt, version = value.split(":")
        assert len(digest) == 64 and stored_salt == salt and version == crypto.CURRENT_PASSWORD_VERSION
    assert real == crypto.argon2_hash("pw", salt) != stand_in
