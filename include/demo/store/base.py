"""GeneratorBase: the generator's state and the value helpers (ids, dates, secrets, card numbers, people) every table family uses.

Every helper draws from the one seeded `self.rng`; callers must keep the order of their calls, or the store changes.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa

from expectations.checks import luhn_ok
from include.demo.cards import format_pan, make_pan
from include.demo.store.config import (
    CARD_BRANDS,
    COMMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
    Manifest,
    SeedConfig,
)
from include.demo.store.records import Person
from include.demo.store.writer import StoreWriter
from include.magento import crypto
from include.magento.geography import EU_COUNTRIES, US_CITIES, US_STATE_WEIGHTS, region_by_code


class GeneratorBase:
    """State shared by every table family (rng, writer, manifest, ids) and the helpers that draw values from the rng."""

    def __init__(self, engine: sa.Engine, config: SeedConfig) -> None:
        self.engine = engine
        self.config = config
        self.rng = random.Random(config.seed)
        self.crypt_key = crypto.generate_crypt_key(random.Random(f"{config.seed}-crypt-key"))
        self.manifest = Manifest(config={k: str(v) for k, v in config.__dict__.items()})
        self.writer = StoreWriter(engine, self.manifest, strict=config.strict_sql)
        self.now = datetime.combine(config.as_of, datetime.min.time())
        self.ids: dict[str, int] = defaultdict(int)
        self.first_eligible: set[tuple[str, str, str]] = set()
        self.regions = region_by_code()
        states = [code for code in US_STATE_WEIGHTS if code != "CA"]
        self.state_codes = states
        self.state_weights = [US_STATE_WEIGHTS[code] for code in states]
        self.registered_emails: list[str] = []

    def next_id(self, table: str) -> int:
        """The next primary key for a table (ids are sequential and deterministic)."""
        self.ids[table] += 1
        return self.ids[table]

    def violate(self, table: str, column: str, check: str) -> bool:
        """Decide whether this eligible row gets a planted problem; the first eligible row always does when rate > 0."""
        if self.config.violations <= 0:
            return False
        slot = (table, column, check)
        if slot not in self.first_eligible:
            self.first_eligible.add(slot)
            return True
        return self.rng.random() < self.config.violations

    def timestamp(self, days_ago_min: float, days_ago_max: float) -> datetime:
        """A moment between the given numbers of days before as_of (seconds resolution)."""
        seconds = self.rng.uniform(days_ago_min * 86400, days_ago_max * 86400)
        return (self.now - timedelta(seconds=int(seconds))).replace(microsecond=0)

    def gateway_id(self, length: int) -> str:
        """A payment gateway reference like PayPal's (upper-case alphanumeric with letters, so never a card number)."""
        chars = [self.rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXY") for _ in range(length)]
        chars[1], chars[-1] = self.rng.choice("ABCDEFGHJKLMNPRSTUVWXY"), self.rng.choice("ABCDEFGHJKLMNPRSTUVWXY")
        return "".join(chars)

    def clamp(self, moment: datetime) -> datetime:
        """Never later than as_of: the store has no rows from the future."""
        return min(moment, self.now)

    def encrypt(self, plaintext: str) -> str:
        """Magento's current ChaCha20-Poly1305 format under the store's generated key."""
        return crypto.encrypt(plaintext, self.crypt_key, self.rng.randbytes(12))

    def password_hash(self, table: str, key: int, column: str = "password_hash") -> str:
        """Argon2 (current) for most accounts; md5/sha256 at the legacy share, recorded as planted."""
        salt = crypto.make_salt(self.rng)
        password = f"pw-{self.rng.getrandbits(48):x}"
        if self.config.legacy_hashes > 0 and self.rng.random() < self.config.legacy_hashes:
            if self.rng.random() < 0.5:
                self.manifest.plant(table, column, "legacy_password_hash", "password_hash_md5", key)
                return crypto.md5_hash(password, salt)
            self.manifest.plant(table, column, "legacy_password_hash", "password_hash_sha256", key)
            return crypto.sha256_hash(password, salt)
        if self.config.real_argon2:
            return crypto.argon2_hash(password, salt)
        return crypto.argon2_format_stand_in(password, salt)

    def pan_text(self) -> str:
        """A card number written the way people paste it into a note."""
        _brand, prefix, length = self.rng.choice(CARD_BRANDS)
        pan = make_pan(self.rng, prefix, length)
        return format_pan(pan, self.rng.choice(("plain", "spaced", "dashed")))

    def near_miss_number(self) -> str:
        """A long number that must not be flagged: a 16-digit id failing Luhn, or a Luhn-valid id with no card prefix."""
        if self.rng.random() < 0.5:
            body = "1" + "".join(self.rng.choice("0123456789") for _ in range(15))
            while luhn_ok(body):
                body = body[:-1] + str((int(body[-1]) + 1) % 10)
            return body
        return make_pan(self.rng, self.rng.choice(("9", "8", "1", "7")), 16)

    def free_text(self, table: str, column: str, key: int, check: str = "no_card_number") -> str:
        """A comment or note; may carry a planted card number or a near-miss number."""
        text = self.rng.choice(COMMENTS)
        if self.violate(table, column, check):
            self.manifest.plant(table, column, "plaintext_pan", check, key)
            return f"{text} Customer read out card {self.pan_text()} on the phone."
        if self.rng.random() < 0.05:
            self.manifest.near_misses[(table, column)].append(key)
            return f"{text} Reference {self.near_miss_number()}."
        return text

    def person(self) -> Person:
        """Name, address and residency for one person."""
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        roll = self.rng.random()
        if roll < self.config.eu_share:
            country = self.rng.choice(sorted(EU_COUNTRIES))
            city = self.rng.choice(EU_COUNTRIES[country])
            region_id, region = None, None
            postcode = f"{self.rng.randint(10000, 99999)}"
        else:
            code = (
                "CA"
                if roll < self.config.eu_share + self.config.california_share
                else self.rng.choices(self.state_codes, self.state_weights)[0]
            )
            country = "US"
            region_id, region = self.regions[code]
            city = self.rng.choice(US_CITIES.get(code, (f"{region} City", f"Springfield {code}")))
            postcode = f"{self.rng.randint(10000, 99999)}"
        return {
            "firstname": first,
            "lastname": last,
            "country_id": country,
            "region_id": region_id,
            "region": region,
            "city": city,
            "postcode": postcode,
            "street": f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
            + (f"\nApt {self.rng.randint(1, 400)}" if self.rng.random() < 0.2 else ""),
            "telephone": f"+1-555-{self.rng.randint(100, 999)}-{self.rng.randint(1000, 9999)}",
            "company": f"{last} Holdings" if self.rng.random() < 0.1 else None,
        }
