"""Demo store generator: a realistic, deterministic Magento 2.4 store with known, planted compliance problems.

Rows are generated customer by customer and written in batches, so memory stays flat whatever `customers` is.
Every planted problem is recorded in a manifest by table, column, kind, check and primary key, never by value.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from include.cards import format_pan, luhn_ok, make_pan
from include.magento import crypto
from include.magento.geography import EU_COUNTRIES, US_CITIES, US_REGIONS, US_STATE_WEIGHTS, region_by_code
from include.magento.schema import magento_tables, mariadb_ddl_statements, sqlite_ddl

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofía",
    "José",
    "Zoë",
    "Chloé",
    "Aiden",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Priya",
    "Arjun",
    "Ngozi",
    "Siobhán",
    "Björn",
    "Anaïs",
    "Łukasz",
    "Grace",
    "Ethan",
    "Maya",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "García",
    "Martínez",
    "O'Brien",
    "Nguyen",
    "Kim",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Okafor",
    "Patel",
    "Chen",
    "Brown",
    "Davis",
    "López",
    "Wilson",
    "Anderson",
    "Thomas",
    "Jackson",
    "White",
)
STREETS = ("Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Lake View Blvd", "Hill Crest Way")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
COMMENTS = (
    "Customer called about delivery time.",
    "Address confirmed with customer.",
    "Refund issued for damaged item.",
    "Payment captured.",
    "Order placed with loyalty discount.",
    "Customer asked for paper statement.",
    "Account review completed by the lending desk.",
    "Shipment delayed by the carrier.",
)
CARD_BRANDS = (("VI", "4", 16), ("MC", "51", 16), ("MC", "2221", 16), ("AE", "37", 15), ("DI", "6011", 16))
LENDING_GROUP_ID = 4
QUOTE_LIFETIME_DAYS = 30
SPANISH_STORE_ID = 2
DEFAULT_AS_OF = date.today()


@dataclass(frozen=True)
class SeedConfig:
    """Everything that decides what the generator writes; the same config always writes the same store."""

    customers: int = 1000
    violations: float = 0.0
    seed: int = 42
    california_share: float = 0.15
    eu_share: float = 0.10
    legacy_hash_share: float | None = None
    guest_order_share: float = 0.2
    orders_per_customer: float = 2.0
    batch_customers: int = 2000
    as_of: date = DEFAULT_AS_OF
    real_argon2: bool = False
    retention_days: int = 1095
    strict_sql: bool = False

    @property
    def legacy_hashes(self) -> float:
        """Share of customers whose password hash is md5 or sha256 (defaults to the violation rate)."""
        return self.violations if self.legacy_hash_share is None else self.legacy_hash_share


@dataclass
class Manifest:
    """What the generator planted: counts and primary keys per table, column, kind and check; never values."""

    config: dict[str, Any]
    planted: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    near_misses: dict[tuple[str, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def plant(self, table: str, column: str, kind: str, check: str, key: Any) -> None:
        """Record one planted problem."""
        self.planted[(table, column, kind, check)].append(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready manifest."""
        return {
            "config": self.config,
            "rows": dict(sorted(self.rows.items())),
            "planted": [
                {"table": t, "column": c, "kind": k, "check": ch, "count": len(keys), "keys": keys}
                for (t, c, k, ch), keys in sorted(self.planted.items())
                if keys
            ],
            "near_misses": [
                {"table": t, "column": c, "count": len(keys), "keys": keys} for (t, c), keys in sorted(self.near_misses.items())
            ],
        }


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _tsv_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value if value.isprintable() and "\\" not in value else value.translate(_TSV_ESCAPES)
    if isinstance(value, bytes):
        return value.decode().translate(_TSV_ESCAPES)
    return str(value)


class StoreWriter:
    """Buffers rows per table and bulk-loads them: LOAD DATA LOCAL INFILE on MariaDB/MySQL, executemany elsewhere."""

    def __init__(self, engine: sa.Engine, manifest: Manifest, flush_rows: int = 20000, strict: bool = False):
        self.engine = engine
        self.manifest = manifest
        self.flush_rows = flush_rows
        self.quote = engine.dialect.identifier_preparer.quote
        self.placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        self.buffers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.connection = engine.raw_connection()
        self.load_data = engine.dialect.name != "sqlite"
        self.loader = ThreadPoolExecutor(max_workers=1)
        self.pending: Future[None] | None = None
        cursor = self.connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA journal_mode=WAL")
        else:
            mode = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO" if strict else "NO_AUTO_VALUE_ON_ZERO"
            cursor.execute(f"SET SESSION foreign_key_checks=0, sql_mode='{mode}'")
            cursor.execute("SELECT @@GLOBAL.local_infile")
            self.load_data = bool(int(cursor.fetchone()[0]))

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue one row; flushes the table when its buffer is full."""
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.flush_rows:
            self._flush_table(table)

    def _flush_table(self, table: str) -> None:
        rows = self.buffers.pop(table, [])
        if not rows:
            return
        columns = list(rows[0])
        getter = itemgetter(*columns)
        values = [getter(row) if len(columns) > 1 else (getter(row),) for row in rows]
        if self.load_data:
            path = self._write_tsv(values)
            self._wait_for_load()
            self.pending = self.loader.submit(self._load_data, table, columns, path)
        else:
            sql = (
                f"INSERT INTO {self.quote(table)} ({', '.join(self.quote(c) for c in columns)}) "
                f"VALUES ({', '.join([self.placeholder] * len(columns))})"
            )
            self.connection.cursor().executemany(sql, values)
        self.manifest.rows[table] += len(rows)

    @staticmethod
    def _write_tsv(values: list[tuple[Any, ...]]) -> str:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", delete=False) as handle:
            handle.writelines("\t".join(map(_tsv_field, row)) + "\n" for row in values)
        return handle.name

    def _load_data(self, table: str, columns: list[str], path: str) -> None:
        """Runs on the loader thread, so the server loads one batch while Python generates the next."""
        try:
            self.connection.cursor().execute(
                f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {self.quote(table)} CHARACTER SET utf8mb4 "
                f"({', '.join(self.quote(c) for c in columns)})"
            )
        finally:
            os.unlink(path)

    def _wait_for_load(self) -> None:
        if self.pending is not None:
            self.pending.result()
            self.pending = None

    def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one statement on the seeding connection (after flushing everything queued)."""
        self.flush()
        self.connection.cursor().execute(sql.replace("?", self.placeholder), tuple(params))

    def flush(self) -> None:
        """Write every queued row and commit."""
        for table in list(self.buffers):
            self._flush_table(table)
        self._wait_for_load()
        self.connection.commit()

    def close(self) -> None:
        """Flush and release the connection."""
        self.flush()
        self.loader.shutdown()
        self.connection.close()


SEEDED_TABLES = (
    "store_website",
    "store_group",
    "store",
    "core_config_data",
    "customer_group",
    "directory_country",
    "directory_country_region",
    "eav_entity_type",
    "eav_attribute",
    "customer_eav_attribute",
    "customer_entity",
    "customer_entity_varchar",
    "customer_address_entity",
    "customer_grid_flat",
    "customer_log",
    "customer_visitor",
    "newsletter_subscriber",
    "vault_payment_token",
    "paypal_billing_agreement",
    "sales_order",
    "sales_order_address",
    "sales_order_payment",
    "sales_payment_transaction",
    "sales_order_status_history",
    "sales_order_grid",
    "sales_invoice",
    "sales_invoice_grid",
    "sales_shipment",
    "sales_shipment_grid",
    "sales_creditmemo",
    "sales_creditmemo_grid",
    "gift_message",
    "quote",
    "quote_address",
    "quote_payment",
    "admin_user",
    "admin_user_session",
    "oauth_consumer",
    "oauth_token",
    "integration",
    "password_reset_request_event",
    "magento_login_as_customer_log",
)
THIRD_PARTY_TABLE = "acme_kyc_document"
THIRD_PARTY_DDL = {
    "sqlite": (
        f'CREATE TABLE IF NOT EXISTS "{THIRD_PARTY_TABLE}" ("document_id" INTEGER PRIMARY KEY, "customer_id" INTEGER, '
        '"passport_number" TEXT, "ssn_last4" TEXT, "scan_uploaded_at" TEXT)'
    ),
    "mysql": (
        f"CREATE TABLE IF NOT EXISTS `{THIRD_PARTY_TABLE}` (`document_id` int UNSIGNED NOT NULL AUTO_INCREMENT, "
        "`customer_id` int UNSIGNED NULL, `passport_number` varchar(32) NULL, `ssn_last4` varchar(4) NULL, "
        "`scan_uploaded_at` timestamp NULL, PRIMARY KEY (`document_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    ),
}
CUSTOM_ATTRIBUTE_CODE = "mothers_maiden_name"
CUSTOM_ATTRIBUTE_ID = 12


def ensure_schema(engine: sa.Engine) -> None:
    """Create the Magento tables when the target has none yet (SQLite from the translated DDL, MariaDB from the real DDL)."""
    if sa.inspect(engine).has_table("customer_entity"):
        return
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for table in magento_tables().values():
                for statement in sqlite_ddl(table):
                    connection.exec_driver_sql(statement)
        else:
            for statement in mariadb_ddl_statements():
                connection.exec_driver_sql(statement)


def reset_tables(engine: sa.Engine) -> None:
    """Empty every table the generator fills, so a rerun never duplicates a row."""
    quote = engine.dialect.identifier_preparer.quote
    inspector = sa.inspect(engine)
    with engine.begin() as connection:
        if engine.dialect.name != "sqlite":
            connection.exec_driver_sql("SET SESSION foreign_key_checks=0")
        for table in SEEDED_TABLES:
            verb = "DELETE FROM" if engine.dialect.name == "sqlite" else "TRUNCATE TABLE"
            connection.exec_driver_sql(f"{verb} {quote(table)}")
        if inspector.has_table(THIRD_PARTY_TABLE):
            connection.exec_driver_sql(f"DROP TABLE {quote(THIRD_PARTY_TABLE)}")
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


class Generator:
    """Writes one store; see module docstring."""

    def __init__(self, engine: sa.Engine, config: SeedConfig):
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

    # -- helpers ---------------------------------------------------------------------------------------------

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

    def person(self) -> dict[str, Any]:
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

    # -- store structure -------------------------------------------------------------------------------------

    def write_structure(self) -> None:
        """Websites, stores, config, groups, directory and EAV metadata that a real install has."""
        w = self.writer
        w.add(
            "store_website",
            {"website_id": 0, "code": "admin", "name": "Admin", "sort_order": 0, "default_group_id": 0, "is_default": 0},
        )
        w.add(
            "store_website",
            {"website_id": 1, "code": "base", "name": "Main Website", "sort_order": 0, "default_group_id": 1, "is_default": 1},
        )
        w.add(
            "store_group",
            {"group_id": 0, "website_id": 0, "name": "Default", "root_category_id": 0, "default_store_id": 0, "code": "default"},
        )
        w.add(
            "store_group",
            {
                "group_id": 1,
                "website_id": 1,
                "name": "Main Website Store",
                "root_category_id": 2,
                "default_store_id": 1,
                "code": "main_website_store",
            },
        )
        for store_id, code, name, group_id, website_id in (
            (0, "admin", "Admin", 0, 0),
            (1, "default", "Default Store View", 1, 1),
            (SPANISH_STORE_ID, "es", "Español", 1, 1),
        ):
            w.add(
                "store",
                {
                    "store_id": store_id,
                    "code": code,
                    "website_id": website_id,
                    "group_id": group_id,
                    "name": name,
                    "sort_order": 0,
                    "is_active": 1,
                },
            )
        config = [
            ("default", 0, "general/store_information/name", "Harbor Lane Financial"),
            ("default", 0, "general/store_information/phone", "+1-800-555-0199"),
            ("default", 0, "general/store_information/street_line1", "100 Harbor Lane"),
            ("default", 0, "general/store_information/city", "San Francisco"),
            ("default", 0, "general/store_information/region_id", "12"),
            ("default", 0, "general/store_information/postcode", "94105"),
            ("default", 0, "general/store_information/country_id", "US"),
            ("default", 0, "trans_email/ident_support/email", "privacy@harborlane.example"),
            ("default", 0, "general/locale/code", "en_US"),
            ("stores", SPANISH_STORE_ID, "general/locale/code", "es_ES"),
            ("default", 0, "web/secure/base_url", "https://shop.harborlane.example/"),
        ]
        for config_id, (scope, scope_id, path, value) in enumerate(config, 1):
            w.add(
                "core_config_data", {"config_id": config_id, "scope": scope, "scope_id": scope_id, "path": path, "value": value}
            )
        for group_id, code in (
            (0, "NOT LOGGED IN"),
            (1, "General"),
            (2, "Wholesale"),
            (3, "Retailer"),
            (LENDING_GROUP_ID, "Lending Clients"),
        ):
            w.add("customer_group", {"customer_group_id": group_id, "customer_group_code": code, "tax_class_id": 3})
        for country in ["US", *sorted(EU_COUNTRIES)]:
            w.add("directory_country", {"country_id": country, "iso2_code": country, "iso3_code": None})
        for region_id, code, name in US_REGIONS:
            w.add("directory_country_region", {"region_id": region_id, "country_id": "US", "code": code, "default_name": name})
        w.add(
            "eav_entity_type",
            {
                "entity_type_id": 1,
                "entity_type_code": "customer",
                "entity_model": "Magento\\Customer\\Model\\ResourceModel\\Customer",
                "entity_table": "customer_entity",
            },
        )
        w.add(
            "eav_entity_type",
            {
                "entity_type_id": 2,
                "entity_type_code": "customer_address",
                "entity_model": "Magento\\Customer\\Model\\ResourceModel\\Address",
                "entity_table": "customer_address_entity",
            },
        )
        static = (
            "email",
            "firstname",
            "lastname",
            "middlename",
            "prefix",
            "suffix",
            "dob",
            "taxvat",
            "gender",
            "password_hash",
            "rp_token",
        )
        for attribute_id, code in enumerate(static, 1):
            w.add(
                "eav_attribute",
                {
                    "attribute_id": attribute_id,
                    "entity_type_id": 1,
                    "attribute_code": code,
                    "backend_type": "static",
                    "frontend_input": "text",
                    "is_required": 0,
                    "is_user_defined": 0,
                },
            )
            w.add(
                "customer_eav_attribute",
                {"attribute_id": attribute_id, "is_visible": 1, "is_system": 1, "sort_order": attribute_id},
            )
        if self.config.violations > 0:
            attribute_id = CUSTOM_ATTRIBUTE_ID
            w.add(
                "eav_attribute",
                {
                    "attribute_id": attribute_id,
                    "entity_type_id": 1,
                    "attribute_code": CUSTOM_ATTRIBUTE_CODE,
                    "backend_type": "varchar",
                    "frontend_input": "text",
                    "frontend_label": "Mother's maiden name",
                    "is_required": 0,
                    "is_user_defined": 1,
                },
            )
            w.add("customer_eav_attribute", {"attribute_id": attribute_id, "is_visible": 1, "is_system": 0, "sort_order": 200})
        self.writer.flush()

    # -- people ----------------------------------------------------------------------------------------------

    def write_customer(self, customer_id: int) -> None:
        """One registered customer with addresses, grid row, logs, newsletter, vault tokens and orders."""
        w, rng, cfg = self.writer, self.rng, self.config
        stale = self.violate("customer_entity", "entity_id", "inactive_customer_retention")
        if stale:
            created_at = self.timestamp(cfg.retention_days + 400, cfg.retention_days + 2500)
            updated_at = self.clamp(created_at + timedelta(days=rng.randint(0, 60)))
            last_activity_days = (self.now - updated_at).days
            self.manifest.plant("customer_entity", "entity_id", "retention", "inactive_customer_retention", customer_id)
        else:
            created_at = self.timestamp(30, 2200)
            updated_at = max(created_at, self.timestamp(0, 600))
            last_activity_days = 600
        person = self.person()
        email = f"{person['firstname'].lower()}.{person['lastname'].lower()}.{customer_id}@{rng.choice(EMAIL_DOMAINS)}"
        email = email.replace("'", "")
        self.registered_emails.append(email)
        group_id = LENDING_GROUP_ID if rng.random() < 0.2 else 1
        store_id = SPANISH_STORE_ID if rng.random() < 0.12 else 1
        dob = taxvat = None
        if group_id == LENDING_GROUP_ID:
            dob = date(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28))
            taxvat = f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        else:
            if self.violate("customer_entity", "dob", "minimisation_policy"):
                dob = date(rng.randint(1935, 2004), rng.randint(1, 12), rng.randint(1, 28))
                self.manifest.plant("customer_entity", "dob", "minimisation", "minimisation_policy", customer_id)
                self.manifest.plant("customer_grid_flat", "dob", "minimisation", "minimisation_policy", customer_id)
            if self.violate("customer_entity", "taxvat", "minimisation_policy"):
                taxvat = f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
                self.manifest.plant("customer_entity", "taxvat", "minimisation", "minimisation_policy", customer_id)
                self.manifest.plant("customer_grid_flat", "taxvat", "minimisation", "minimisation_policy", customer_id)
        rp_token = rp_token_created_at = None
        if self.violate("customer_entity", "rp_token", "encrypted_any_cipher"):
            rp_token = f"{rng.getrandbits(128):032x}"
            self.manifest.plant("customer_entity", "rp_token", "unencrypted_value", "encrypted_any_cipher", customer_id)
        elif self.violate("customer_entity", "rp_token", "current_cipher"):
            rp_token = crypto.legacy_ciphertext(rng.choice((0, 1, 2)), rng)
            self.manifest.plant("customer_entity", "rp_token", "legacy_cipher", "current_cipher", customer_id)
        elif rng.random() < 0.1:
            rp_token = self.encrypt(f"{rng.getrandbits(128):032x}")
        if rp_token:
            rp_token_created_at = self.timestamp(0, 30)

        has_address = rng.random() > 0.03
        default_billing = default_shipping = None
        addresses = []
        if has_address:
            for _ in range(1 if rng.random() < 0.7 else 2):
                address_id = self.next_id("customer_address_entity")
                address = (
                    person
                    if not addresses
                    else {**self.person(), "firstname": person["firstname"], "lastname": person["lastname"]}
                )
                addresses.append((address_id, address))
                w.add(
                    "customer_address_entity",
                    {
                        "entity_id": address_id,
                        "parent_id": customer_id,
                        "created_at": created_at,
                        "updated_at": updated_at,
                        "is_active": 1,
                        "city": address["city"],
                        "company": address["company"],
                        "country_id": address["country_id"],
                        "fax": None,
                        "firstname": address["firstname"],
                        "lastname": address["lastname"],
                        "middlename": None,
                        "postcode": address["postcode"],
                        "prefix": None,
                        "region": address["region"],
                        "region_id": address["region_id"],
                        "street": address["street"],
                        "suffix": None,
                        "telephone": address["telephone"],
                        "vat_id": f"{address['country_id']}{rng.randint(10**8, 10**9 - 1)}"
                        if address["company"] and address["country_id"] != "US"
                        else None,
                    },
                )
            default_billing = addresses[0][0]
            default_shipping = addresses[-1][0]

        w.add(
            "customer_entity",
            {
                "entity_id": customer_id,
                "website_id": 1,
                "email": email,
                "group_id": group_id,
                "increment_id": None,
                "store_id": store_id,
                "created_at": created_at,
                "updated_at": updated_at,
                "is_active": 1,
                "disable_auto_group_change": 0,
                "created_in": "Español" if store_id == SPANISH_STORE_ID else "Default Store View",
                "prefix": None,
                "firstname": person["firstname"],
                "middlename": None,
                "lastname": person["lastname"],
                "suffix": None,
                "dob": dob,
                "password_hash": self.password_hash("customer_entity", customer_id),
                "rp_token": rp_token,
                "rp_token_created_at": rp_token_created_at,
                "default_billing": default_billing,
                "default_shipping": default_shipping,
                "taxvat": taxvat,
                "confirmation": None,
                "gender": rng.choice((None, 1, 2, 3)),
                "failures_num": 0,
                "first_failure": None,
                "lock_expires": None,
                "session_cutoff": None,
            },
        )
        if self.config.violations > 0 and self.violate("customer_entity_varchar", "value", "unmapped_custom_attribute"):
            value_id = self.next_id("customer_entity_varchar")
            w.add(
                "customer_entity_varchar",
                {
                    "value_id": value_id,
                    "attribute_id": CUSTOM_ATTRIBUTE_ID,
                    "entity_id": customer_id,
                    "value": rng.choice(LAST_NAMES),
                },
            )
            self.manifest.plant(
                "customer_entity_varchar",
                f"attribute:{CUSTOM_ATTRIBUTE_CODE}",
                "schema_drift",
                "unmapped_custom_attribute",
                value_id,
            )
        billing = addresses[0][1] if addresses else None
        shipping = addresses[-1][1] if addresses else None

        def full(address: dict[str, Any] | None) -> str | None:
            if not address:
                return None
            return f"{address['street']} {address['city']} {address['region'] or ''} {address['postcode']}"

        w.add(
            "customer_grid_flat",
            {
                "entity_id": customer_id,
                "name": f"{person['firstname']} {person['lastname']}",
                "email": email,
                "group_id": group_id,
                "created_at": created_at,
                "website_id": 1,
                "confirmation": None,
                "created_in": "Default Store View",
                "dob": dob,
                "gender": None,
                "taxvat": taxvat,
                "lock_expires": None,
                "shipping_full": full(shipping),
                "billing_full": full(billing),
                "billing_firstname": billing and billing["firstname"],
                "billing_lastname": billing and billing["lastname"],
                "billing_telephone": billing and billing["telephone"],
                "billing_postcode": billing and billing["postcode"],
                "billing_country_id": billing and billing["country_id"],
                "billing_region": billing and billing["region"],
                "billing_region_id": billing and billing["region_id"],
                "billing_street": billing and billing["street"],
                "billing_city": billing and billing["city"],
                "billing_fax": None,
                "billing_vat_id": None,
                "billing_company": billing and billing["company"],
            },
        )
        last_login = self.timestamp(last_activity_days + 1, last_activity_days + 200) if stale else self.timestamp(0, 500)
        w.add(
            "customer_log",
            {
                "log_id": self.next_id("customer_log"),
                "customer_id": customer_id,
                "last_login_at": last_login,
                "last_logout_at": self.clamp(last_login + timedelta(minutes=rng.randint(1, 90))),
            },
        )
        w.add(
            "customer_visitor",
            {
                "visitor_id": self.next_id("customer_visitor"),
                "customer_id": customer_id,
                "session_id": "",
                "created_at": last_login,
                "last_visit_at": last_login,
            },
        )
        if rng.random() < 0.3:
            w.add(
                "newsletter_subscriber",
                {
                    "subscriber_id": self.next_id("newsletter_subscriber"),
                    "store_id": store_id,
                    "change_status_at": updated_at,
                    "customer_id": customer_id,
                    "subscriber_email": email,
                    "subscriber_status": 1,
                    "subscriber_confirm_code": f"{rng.getrandbits(64):016x}",
                },
            )
        if rng.random() < 0.15:
            brand, _prefix, _length = rng.choice(CARD_BRANDS)
            w.add(
                "vault_payment_token",
                {
                    "entity_id": self.next_id("vault_payment_token"),
                    "customer_id": customer_id,
                    "website_id": 1,
                    "public_hash": f"{rng.getrandbits(256):064x}",
                    "payment_method_code": "payment_services_paypal_vault",
                    "type": "card",
                    "created_at": created_at,
                    "expires_at": self.now + timedelta(days=rng.randint(30, 1500)),
                    "gateway_token": f"tok_{rng.getrandbits(64):016x}",
                    "details": json.dumps(
                        {
                            "type": brand,
                            "maskedCC": f"{rng.randint(0, 9999):04d}",
                            "expirationDate": f"{rng.randint(1, 12):02d}/{rng.randint(2027, 2031)}",
                        }
                    ),
                    "is_active": 1,
                    "is_visible": 1,
                },
            )
        if rng.random() < 0.03:
            w.add(
                "paypal_billing_agreement",
                {
                    "agreement_id": self.next_id("paypal_billing_agreement"),
                    "customer_id": customer_id,
                    "method_code": "paypal_billing_agreement",
                    "reference_id": f"B-{rng.getrandbits(40):010X}",
                    "status": "active",
                    "created_at": created_at,
                    "updated_at": updated_at,
                    "store_id": store_id,
                    "agreement_label": f"{person['firstname']}'s PayPal",
                },
            )
        orders = self._order_count()
        customer = {
            "customer_id": customer_id,
            "email": email,
            "person": person,
            "addresses": addresses,
            "group_id": group_id,
            "store_id": store_id,
            "dob": dob,
            "taxvat": taxvat,
        }
        for _ in range(orders):
            if stale:
                order_at = self.timestamp(last_activity_days + 1, last_activity_days + 300)
            else:
                order_at = max(created_at, self.timestamp(0, 700))
            self.write_order(order_at, customer)

    def _order_count(self) -> int:
        mean = self.config.orders_per_customer
        return min(int(self.rng.expovariate(1 / mean) + 0.5), int(mean * 6))

    def write_guest_order(self) -> None:
        """A guest order; a share reuse a registered customer's email in another case or with spaces."""
        person = self.person()
        if self.registered_emails and self.rng.random() < 0.25:
            email = self.rng.choice(self.registered_emails)
            email = f" {email.upper()} " if self.rng.random() < 0.5 else email.capitalize()
        else:
            local = f"{person['firstname'].lower()}.{person['lastname'].lower()}.g{self.ids['sales_order'] + 1}".replace("'", "")
            email = f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"
        guest = {
            "customer_id": None,
            "email": email,
            "person": person,
            "addresses": [(None, person)],
            "group_id": 0,
            "store_id": SPANISH_STORE_ID if self.rng.random() < 0.1 else 1,
            "dob": None,
            "taxvat": None,
        }
        self.write_order(self.timestamp(0, 900), guest)

    # -- orders ----------------------------------------------------------------------------------------------

    def write_order(self, order_at: datetime, buyer: dict[str, Any]) -> None:
        """An order with addresses, payment, transaction, history, grids, documents and its converted quote."""
        w, rng = self.writer, self.rng
        order_id = self.next_id("sales_order")
        increment_id = f"{order_id:09d}"
        person = buyer["person"]
        billing = buyer["addresses"][0][1] if buyer["addresses"] else person
        shipping = buyer["addresses"][-1][1] if buyer["addresses"] else person
        grand_total = round(rng.uniform(20, 5000), 2)
        updated_at = self.clamp(order_at + timedelta(hours=rng.randint(0, 72)))
        gift_message_id = None
        if rng.random() < 0.05:
            gift_message_id = self.next_id("gift_message")
            w.add(
                "gift_message",
                {
                    "gift_message_id": gift_message_id,
                    "customer_id": buyer["customer_id"] or 0,
                    "sender": person["firstname"],
                    "recipient": rng.choice(FIRST_NAMES),
                    "message": self.free_text("gift_message", "message", gift_message_id),
                },
            )
        if buyer["group_id"] != LENDING_GROUP_ID:
            for column, value in (("customer_dob", buyer["dob"]), ("customer_taxvat", buyer["taxvat"])):
                if value is not None:
                    self.manifest.plant("sales_order", column, "minimisation", "minimisation_policy", order_id)
        w.add(
            "sales_order",
            {
                "entity_id": order_id,
                "state": "processing",
                "status": "processing",
                "protect_code": f"{rng.getrandbits(24):06x}",
                "store_id": buyer["store_id"],
                "customer_id": buyer["customer_id"],
                "customer_group_id": buyer["group_id"],
                "customer_is_guest": int(buyer["customer_id"] is None),
                "customer_note_notify": 0,
                "base_grand_total": grand_total,
                "grand_total": grand_total,
                "base_currency_code": "USD",
                "order_currency_code": "USD",
                "increment_id": increment_id,
                "customer_email": buyer["email"],
                "customer_firstname": person["firstname"],
                "customer_lastname": person["lastname"],
                "customer_dob": buyer["dob"],
                "customer_taxvat": buyer["taxvat"],
                "customer_gender": None,
                "customer_note": self.free_text("sales_order", "customer_note", order_id) if rng.random() < 0.1 else None,
                "remote_ip": f"203.0.113.{rng.randint(1, 254)}",
                "x_forwarded_for": None,
                "gift_message_id": gift_message_id,
                "created_at": order_at,
                "updated_at": updated_at,
                "total_item_count": rng.randint(1, 5),
                "store_name": "Main Website\nMain Website Store\nDefault Store View",
            },
        )
        address_ids = {}
        for address_type, address in (("billing", billing), ("shipping", shipping)):
            address_id = self.next_id("sales_order_address")
            address_ids[address_type] = address_id
            w.add(
                "sales_order_address",
                {
                    "entity_id": address_id,
                    "parent_id": order_id,
                    "customer_address_id": None,
                    "quote_address_id": None,
                    "region_id": address["region_id"],
                    "customer_id": buyer["customer_id"],
                    "fax": None,
                    "region": address["region"],
                    "postcode": address["postcode"],
                    "lastname": address["lastname"],
                    "street": address["street"],
                    "city": address["city"],
                    "email": buyer["email"],
                    "telephone": address["telephone"],
                    "country_id": address["country_id"],
                    "firstname": address["firstname"],
                    "address_type": address_type,
                    "prefix": None,
                    "middlename": None,
                    "suffix": None,
                    "company": address["company"],
                    "vat_id": None,
                },
            )
        self.write_payment(order_id, increment_id, order_at, buyer, grand_total)
        for _ in range(1 if rng.random() < 0.8 else 2):
            history_id = self.next_id("sales_order_status_history")
            w.add(
                "sales_order_status_history",
                {
                    "entity_id": history_id,
                    "parent_id": order_id,
                    "is_customer_notified": 0,
                    "is_visible_on_front": 0,
                    "comment": self.free_text("sales_order_status_history", "comment", history_id),
                    "status": "processing",
                    "created_at": self.clamp(order_at + timedelta(hours=rng.randint(0, 48))),
                    "entity_name": "order",
                },
            )
        name = f"{person['firstname']} {person['lastname']}"
        billing_name = f"{billing['firstname']} {billing['lastname']}"
        shipping_name = f"{shipping['firstname']} {shipping['lastname']}"
        flat = lambda a: f"{a['street'].replace(chr(10), ' ')},{a['city']},{a['region'] or ''},{a['postcode']}"  # noqa: E731
        w.add(
            "sales_order_grid",
            {
                "entity_id": order_id,
                "status": "processing",
                "store_id": buyer["store_id"],
                "store_name": "Default Store View",
                "customer_id": buyer["customer_id"],
                "base_grand_total": grand_total,
                "grand_total": grand_total,
                "increment_id": increment_id,
                "base_currency_code": "USD",
                "order_currency_code": "USD",
                "shipping_name": shipping_name,
                "billing_name": billing_name,
                "created_at": order_at,
                "updated_at": updated_at,
                "billing_address": flat(billing),
                "shipping_address": flat(shipping),
                "customer_email": buyer["email"],
                "customer_group": str(buyer["group_id"]),
                "customer_name": name,
                "payment_method": "checkmo",
            },
        )
        documents = (
            ("sales_invoice", "sales_invoice_grid", 0.7),
            ("sales_shipment", "sales_shipment_grid", 0.6),
            ("sales_creditmemo", "sales_creditmemo_grid", 0.05),
        )
        for base_table, grid_table, share in documents:
            if rng.random() >= share:
                continue
            document_id = self.next_id(base_table)
            created = self.clamp(order_at + timedelta(days=rng.randint(0, 5)))
            base = {
                "entity_id": document_id,
                "store_id": buyer["store_id"],
                "order_id": order_id,
                "increment_id": f"{document_id:09d}",
                "created_at": created,
                "updated_at": created,
                "billing_address_id": address_ids["billing"],
                "shipping_address_id": address_ids["shipping"],
            }
            if base_table == "sales_shipment":
                base.update({"customer_id": buyer["customer_id"], "total_qty": 1})
            else:
                base.update({"grand_total": grand_total, "base_grand_total": grand_total})
            w.add(base_table, base)
            grid = {
                "entity_id": document_id,
                "increment_id": f"{document_id:09d}",
                "store_id": buyer["store_id"],
                "order_id": order_id,
                "order_increment_id": increment_id,
                "order_created_at": order_at,
                "customer_name": name,
                "customer_email": buyer["email"],
                "billing_name": billing_name,
                "billing_address": flat(billing),
                "shipping_address": flat(shipping),
                "created_at": created,
                "updated_at": created,
            }
            if grid_table == "sales_shipment_grid":
                grid["shipping_name"] = shipping_name
            w.add(grid_table, grid)
        if (self.now - order_at).days <= QUOTE_LIFETIME_DAYS:
            self.write_quote(order_id, increment_id, order_at, buyer, billing, shipping, grand_total)

    def write_payment(self, order_id: int, increment_id: str, order_at: datetime, buyer: dict[str, Any], total: float) -> None:
        """sales_order_payment and, for card payments, sales_payment_transaction."""
        w, rng = self.writer, self.rng
        payment_id = self.next_id("sales_order_payment")
        method = rng.choices(("payment_services_paypal_hosted_fields", "paypal_express", "checkmo"), (0.6, 0.3, 0.1))[0]
        row = {
            "entity_id": payment_id,
            "parent_id": order_id,
            "base_amount_ordered": total,
            "amount_ordered": total,
            "method": method,
            "cc_last_4": None,
            "cc_type": None,
            "cc_exp_month": None,
            "cc_exp_year": None,
            "cc_owner": None,
            "cc_number_enc": None,
            "additional_information": None,
            "last_trans_id": None,
        }
        info: dict[str, Any]
        if method == "payment_services_paypal_hosted_fields":
            brand, prefix, length = rng.choice(CARD_BRANDS)
            pan = make_pan(rng, prefix, length)
            row.update(
                cc_type=brand, cc_last_4=pan[-4:], cc_exp_month=str(rng.randint(1, 12)), cc_exp_year=str(rng.randint(2027, 2031))
            )
            if self.violate("sales_order_payment", "cc_last_4", "cc_last_4_format"):
                row["cc_last_4"] = pan
                self.manifest.plant("sales_order_payment", "cc_last_4", "plaintext_pan", "cc_last_4_format", payment_id)
                self.manifest.plant("sales_order_payment", "cc_last_4", "plaintext_pan", "no_card_number", payment_id)
            if self.violate("sales_order_payment", "cc_number_enc", "encrypted_any_cipher"):
                row["cc_number_enc"] = pan
                self.manifest.plant(
                    "sales_order_payment", "cc_number_enc", "unencrypted_value", "encrypted_any_cipher", payment_id
                )
                self.manifest.plant("sales_order_payment", "cc_number_enc", "plaintext_pan", "no_card_number", payment_id)
            elif self.violate("sales_order_payment", "cc_number_enc", "current_cipher"):
                row["cc_number_enc"] = crypto.legacy_ciphertext(rng.choice((0, 1, 2)), rng)
                self.manifest.plant("sales_order_payment", "cc_number_enc", "legacy_cipher", "current_cipher", payment_id)
            else:
                row["cc_number_enc"] = self.encrypt(pan[:6])
            info = {
                "method_title": "Credit Card (Payment Services)",
                "cardBrand": brand,
                "cardLast4": pan[-4:],
                "paypal_order_id": self.gateway_id(17),
            }
        elif method == "paypal_express":
            info = {
                "method_title": "PayPal Express Checkout",
                "paypal_payer_id": self.gateway_id(13),
                "paypal_payer_email": buyer["email"].strip().lower(),
                "paypal_payer_status": "verified",
                "paypal_correlation_id": f"{rng.getrandbits(48):012x}",
            }
        else:
            info = {"method_title": "Check / Money order"}
        if self.violate("sales_order_payment", "additional_information", "no_card_number"):
            info["cc_number"] = self.pan_text()
            self.manifest.plant("sales_order_payment", "additional_information", "plaintext_pan", "no_card_number", payment_id)
        elif rng.random() < 0.05:
            info["loyalty_reference"] = self.near_miss_number()
            self.manifest.near_misses[("sales_order_payment", "additional_information")].append(payment_id)
        row["additional_information"] = json.dumps(info)
        if method != "checkmo":
            txn_id = self.gateway_id(17)
            row["last_trans_id"] = txn_id
            transaction_id = self.next_id("sales_payment_transaction")
            raw: dict[str, Any] = {"raw_details_info": {"status": "COMPLETED", "avs_code": rng.choice("YNAZ"), "id": txn_id}}
            if self.violate("sales_payment_transaction", "additional_information", "no_card_number"):
                raw["raw_details_info"]["card"] = self.pan_text()
                self.manifest.plant(
                    "sales_payment_transaction", "additional_information", "plaintext_pan", "no_card_number", transaction_id
                )
            w.add(
                "sales_payment_transaction",
                {
                    "transaction_id": transaction_id,
                    "parent_id": None,
                    "order_id": order_id,
                    "payment_id": payment_id,
                    "txn_id": txn_id,
                    "parent_txn_id": None,
                    "txn_type": "capture",
                    "is_closed": 1,
                    "additional_information": json.dumps(raw).encode(),
                    "created_at": order_at,
                },
            )
        w.add("sales_order_payment", row)

    def write_quote(
        self,
        order_id: int,
        increment_id: str,
        order_at: datetime,
        buyer: dict[str, Any],
        billing: dict[str, Any],
        shipping: dict[str, Any],
        total: float,
    ) -> None:
        """The converted cart behind an order: quote, its two addresses and its payment."""
        w, rng = self.writer, self.rng
        quote_id = self.next_id("quote")
        person = buyer["person"]
        w.add(
            "quote",
            {
                "entity_id": quote_id,
                "store_id": buyer["store_id"],
                "created_at": order_at - timedelta(minutes=rng.randint(5, 600)),
                "updated_at": order_at,
                "converted_at": order_at,
                "is_active": 0,
                "items_count": 1,
                "items_qty": 1,
                "grand_total": total,
                "base_grand_total": total,
                "customer_id": buyer["customer_id"],
                "customer_email": buyer["email"],
                "customer_firstname": person["firstname"],
                "customer_lastname": person["lastname"],
                "customer_is_guest": int(buyer["customer_id"] is None),
                "customer_note": None,
                "remote_ip": f"203.0.113.{rng.randint(1, 254)}",
                "reserved_order_id": increment_id,
                "password_hash": None,
            },
        )
        for address_type, address in (("billing", billing), ("shipping", shipping)):
            w.add(
                "quote_address",
                {
                    "address_id": self.next_id("quote_address"),
                    "quote_id": quote_id,
                    "created_at": order_at,
                    "updated_at": order_at,
                    "customer_id": buyer["customer_id"],
                    "address_type": address_type,
                    "email": buyer["email"],
                    "firstname": address["firstname"],
                    "lastname": address["lastname"],
                    "company": address["company"],
                    "street": address["street"],
                    "city": address["city"],
                    "region": address["region"],
                    "region_id": address["region_id"],
                    "postcode": address["postcode"],
                    "country_id": address["country_id"],
                    "telephone": address["telephone"],
                },
            )
        payment_id = self.next_id("quote_payment")
        cid = None
        if self.violate("quote_payment", "cc_cid_enc", "cvv_not_stored"):
            cid = self.encrypt(f"{rng.randint(0, 999):03d}")
            self.manifest.plant("quote_payment", "cc_cid_enc", "stored_cvv", "cvv_not_stored", payment_id)
        w.add(
            "quote_payment",
            {
                "payment_id": payment_id,
                "quote_id": quote_id,
                "created_at": order_at,
                "updated_at": order_at,
                "method": "payment_services_paypal_hosted_fields",
                "cc_type": None,
                "cc_number_enc": None,
                "cc_last_4": None,
                "cc_cid_enc": cid,
                "cc_owner": None,
                "additional_information": json.dumps({"method_title": "Credit Card"}),
            },
        )

    # -- back office -----------------------------------------------------------------------------------------

    def write_back_office(self) -> None:
        """Admin users and sessions, integrations with OAuth, password-reset events and the login-as-customer log."""
        w, rng = self.writer, self.rng
        admins = (
            ("Ada", "Admin", "ada"),
            ("Ben", "Ops", "ben"),
            ("Cara", "Legal", "cara"),
            ("Dev", "Support", "dev"),
            ("Eve", "Audit", "eve"),
        )
        for user_id, (first, last, username) in enumerate(admins, 1):
            rp_token = self.encrypt(f"{rng.getrandbits(128):032x}") if user_id == 2 else None
            if self.violate("admin_user", "rp_token", "encrypted_any_cipher"):
                rp_token = f"{rng.getrandbits(128):032x}"
                self.manifest.plant("admin_user", "rp_token", "unencrypted_value", "encrypted_any_cipher", user_id)
            w.add(
                "admin_user",
                {
                    "user_id": user_id,
                    "firstname": first,
                    "lastname": last,
                    "email": f"{username}@harborlane.example",
                    "username": username,
                    "password": self.password_hash("admin_user", user_id, "password"),
                    "created": self.timestamp(300, 900),
                    "modified": self.timestamp(0, 200),
                    "logdate": self.timestamp(0, 10),
                    "lognum": rng.randint(1, 500),
                    "is_active": 1,
                    "rp_token": rp_token,
                    "rp_token_created_at": self.timestamp(0, 2) if rp_token else None,
                },
            )
            w.add(
                "admin_user_session",
                {
                    "id": self.next_id("admin_user_session"),
                    "session_id": "",
                    "user_id": user_id,
                    "status": 1,
                    "created_at": self.timestamp(0, 5),
                    "updated_at": self.timestamp(0, 1),
                    "ip": f"198.51.100.{user_id}",
                },
            )
        for consumer_id, name in enumerate(("ERP Sync", "Lending Decision Engine"), 1):
            secret = self.encrypt(f"{rng.getrandbits(128):032x}")
            if self.violate("oauth_consumer", "secret", "current_cipher"):
                secret = crypto.legacy_ciphertext(0, rng)
                self.manifest.plant("oauth_consumer", "secret", "legacy_cipher", "current_cipher", consumer_id)
            created = self.timestamp(100, 700)
            w.add(
                "oauth_consumer",
                {
                    "entity_id": consumer_id,
                    "created_at": created,
                    "updated_at": created,
                    "name": name,
                    "key": f"{rng.getrandbits(128):032x}",
                    "secret": secret,
                    "callback_url": None,
                    "rejected_callback_url": "",
                },
            )
            w.add(
                "integration",
                {
                    "integration_id": consumer_id,
                    "name": name,
                    "email": f"integrations+{consumer_id}@harborlane.example",
                    "endpoint": f"https://partner{consumer_id}.example/magento",
                    "status": 1,
                    "consumer_id": consumer_id,
                    "created_at": created,
                    "updated_at": created,
                    "setup_type": 0,
                    "identity_link_url": None,
                },
            )
            token_secret = self.encrypt(f"{rng.getrandbits(128):032x}")
            if self.violate("oauth_token", "secret", "encrypted_any_cipher"):
                token_secret = f"{rng.getrandbits(128):032x}"
                self.manifest.plant("oauth_token", "secret", "unencrypted_value", "encrypted_any_cipher", consumer_id)
            w.add(
                "oauth_token",
                {
                    "entity_id": consumer_id,
                    "consumer_id": consumer_id,
                    "admin_id": None,
                    "customer_id": None,
                    "type": "access",
                    "token": f"{rng.getrandbits(128):032x}",
                    "secret": token_secret,
                    "verifier": None,
                    "callback_url": "oob",
                    "revoked": 0,
                    "authorized": 1,
                    "user_type": 1,
                    "created_at": created,
                },
            )
        sample = self.registered_emails[: max(1, len(self.registered_emails) // 50)]
        for email in sample:
            w.add(
                "password_reset_request_event",
                {
                    "id": self.next_id("password_reset_request_event"),
                    "request_type": 0,
                    "account_reference": email,
                    "created_at": self.timestamp(0, 300),
                    "ip": f"192.0.2.{rng.randint(1, 254)}",
                },
            )
        for customer_id in range(1, min(len(self.registered_emails), 20) + 1, 4):
            w.add(
                "magento_login_as_customer_log",
                {
                    "log_id": self.next_id("magento_login_as_customer_log"),
                    "time": self.timestamp(0, 200),
                    "user_id": 4,
                    "user_name": "dev",
                    "customer_id": customer_id,
                    "customer_email": self.registered_emails[customer_id - 1][:40],
                },
            )

    def plant_orphans(self) -> None:
        """Delete some base orders and customers, leaving their grid rows (and PII) behind, as a failed cleanup does."""
        if self.config.violations <= 0:
            return
        quote = self.engine.dialect.identifier_preparer.quote
        orders = max(1, int(self.ids["sales_order"] * self.config.violations / 4))
        for order_id in self.rng.sample(range(1, self.ids["sales_order"] + 1), orders):
            for base_table, grid_table in (
                ("sales_invoice", "sales_invoice_grid"),
                ("sales_shipment", "sales_shipment_grid"),
                ("sales_creditmemo", "sales_creditmemo_grid"),
            ):
                for document_id in self.query_ids(f"SELECT entity_id FROM {quote(base_table)} WHERE order_id = {order_id}"):
                    self.manifest.plant(grid_table, "entity_id", "orphaned_pii", "grid_row_without_base_row", document_id)
            for table, column in (
                ("sales_order_address", "parent_id"),
                ("sales_order_payment", "parent_id"),
                ("sales_payment_transaction", "order_id"),
                ("sales_order_status_history", "parent_id"),
                ("sales_invoice", "order_id"),
                ("sales_shipment", "order_id"),
                ("sales_creditmemo", "order_id"),
                ("sales_order", "entity_id"),
            ):
                self.writer.execute(f"DELETE FROM {quote(table)} WHERE {quote(column)} = ?", (order_id,))
            self.manifest.plant("sales_order_grid", "entity_id", "orphaned_pii", "grid_row_without_base_row", order_id)
        self.manifest.planted = defaultdict(list, self._drop_deleted_order_children(self.manifest.planted))
        customer_id = self.ids["customer_entity"]
        if customer_id:
            self.delete_customer(customer_id)
            self.manifest.plant("customer_grid_flat", "entity_id", "orphaned_pii", "grid_row_without_base_row", customer_id)

    def delete_customer(self, customer_id: int) -> None:
        """What deleting a customer does at the database level (PII-MAP.md section 8), leaving its grid row behind."""
        quote = self.engine.dialect.identifier_preparer.quote
        value_ids = self.query_ids(
            f"SELECT value_id FROM {quote('customer_entity_varchar')} WHERE entity_id = {int(customer_id)}"
        )
        for table, column in (
            ("customer_address_entity", "parent_id"),
            ("customer_entity_varchar", "entity_id"),
            ("vault_payment_token", "customer_id"),
            ("paypal_billing_agreement", "customer_id"),
            ("customer_entity", "entity_id"),
        ):
            self.writer.execute(f"DELETE FROM {quote(table)} WHERE {quote(column)} = ?", (customer_id,))
        self.writer.execute(
            f"UPDATE {quote('sales_order')} SET {quote('customer_id')} = NULL WHERE {quote('customer_id')} = ?", (customer_id,)
        )
        for (table, *_), keys in self.manifest.planted.items():
            gone = (
                {customer_id} if table == "customer_entity" else set(value_ids) if table == "customer_entity_varchar" else set()
            )
            keys[:] = [k for k in keys if k not in gone]

    def query_ids(self, sql: str) -> list[int]:
        """First column of a query on the store, after everything queued is written."""
        self.writer.flush()
        with self.engine.connect() as connection:
            return [row[0] for row in connection.exec_driver_sql(sql)]

    def _drop_deleted_order_children(self, planted: dict) -> dict:
        """Planted problems in rows the orphan step deleted are no longer in the store."""
        quote = self.engine.dialect.identifier_preparer.quote
        key_columns = {
            "sales_order_payment": "entity_id",
            "sales_payment_transaction": "transaction_id",
            "sales_order_status_history": "entity_id",
            "sales_order": "entity_id",
        }
        remaining = {}
        with self.engine.connect() as connection:
            for slot, keys in planted.items():
                table = slot[0]
                if table in key_columns and keys:
                    present = set()
                    column = key_columns[table]
                    for start in range(0, len(keys), 1000):
                        chunk = keys[start : start + 1000]
                        in_list = ", ".join(str(int(k)) for k in chunk)
                        sql = f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} IN ({in_list})"
                        rows = connection.exec_driver_sql(sql)
                        present.update(row[0] for row in rows)
                    remaining[slot] = [k for k in keys if k in present]
                else:
                    remaining[slot] = keys
        return remaining

    def plant_third_party_table(self) -> None:
        """A KYC module's own table, holding passport numbers the PII map does not know about."""
        if self.config.violations <= 0:
            return
        dialect = "sqlite" if self.engine.dialect.name == "sqlite" else "mysql"
        self.writer.execute(THIRD_PARTY_DDL[dialect])
        for customer_id in range(1, min(self.ids["customer_entity"], 50) + 1, 5):
            document_id = self.next_id(THIRD_PARTY_TABLE)
            self.writer.add(
                THIRD_PARTY_TABLE,
                {
                    "document_id": document_id,
                    "customer_id": customer_id,
                    "passport_number": f"{self.rng.choice('ABCEFGHK')}{self.rng.randint(10**7, 10**8 - 1)}",
                    "ssn_last4": f"{self.rng.randint(0, 9999):04d}",
                    "scan_uploaded_at": self.timestamp(0, 400),
                },
            )
            for column in ("passport_number", "ssn_last4"):
                self.manifest.plant(THIRD_PARTY_TABLE, column, "schema_drift", "unmapped_column", document_id)

    def run(self) -> Manifest:
        """Write the whole store and return the manifest."""
        self.write_structure()
        cfg = self.config
        guests_per_customer = cfg.guest_order_share * cfg.orders_per_customer / max(1e-9, 1 - cfg.guest_order_share)
        guest_orders = 0.0
        for customer_id in range(1, cfg.customers + 1):
            self.write_customer(self.next_id("customer_entity"))
            guest_orders += guests_per_customer
            while guest_orders >= 1:
                self.write_guest_order()
                guest_orders -= 1
            if customer_id % cfg.batch_customers == 0:
                self.writer.flush()
                self.registered_emails = self.registered_emails[-1000:]
        self.write_back_office()
        self.writer.flush()
        self.plant_orphans()
        self.plant_third_party_table()
        self.writer.close()
        return self.manifest


def seed_store(url: str, config: SeedConfig) -> Manifest:
    """Create the schema if needed, empty the seeded tables, and write a fresh store at url."""
    connect_args = {} if url.startswith("sqlite") else {"local_infile": True}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        ensure_schema(engine)
        reset_tables(engine)
        return Generator(engine, config).run()
    finally:
        engine.dispose()
