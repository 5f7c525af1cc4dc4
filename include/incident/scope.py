"""Scope resolution: from an incident trigger to every affected individual, what was exposed, and where they live.

The database does the heavy lifting: one GROUP BY per compromised table returns, per person, which mapped
columns hold a value. Registered customers are keyed by account; guest buyers by normalised email; the two
are merged into one individual when the emails match. Residency comes from the default billing address,
else the latest order's billing address; unknown residency is counted and flagged, never dropped.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import pandas as pd
import sqlalchemy as sa

from include.incident.trigger import IncidentTrigger
from include.lake.jsondoc import JsonInputError, load_json
from include.magento.geography import EEA_COUNTRIES, US_REGIONS
from include.magento.schema import TEXT_TYPES, magento_tables
from include.magento.source import SourceError
from include.pii.map import PiiMap, TableSpec

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
CREDENTIAL_ELEMENTS = {"user.authorization.password", "user.authorization.credentials"}
STREAM_ROWS = 50_000
PERSON_DETAILS = ("firstname", "lastname", "store_id", "street", "city", "region", "postcode", "country_id", "region_code")
US_CODES = {code for _, code, _ in US_REGIONS}
US_NAMES = {name.lower(): code for _, code, name in US_REGIONS}


def normalise_email(value: object) -> str | None:
    """Lower-cased, trimmed email; None when empty."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return text or None


def jurisdiction_of(country: object, region_code: object, region_text: object) -> str:
    """US-<state>, EU-<country>, OTHER-<country> or UNKNOWN."""
    country = (str(country).strip().upper() if country else "")[:2]
    if not country:
        return "UNKNOWN"
    if country == "US":
        for candidate in (region_code, region_text):
            text = str(candidate or "").strip()
            if text.upper() in US_CODES:
                return f"US-{text.upper()}"
            if text.lower() in US_NAMES:
                return f"US-{US_NAMES[text.lower()]}"
        return "UNKNOWN"
    return f"EU-{country}" if country in EEA_COUNTRIES else f"OTHER-{country}"


@dataclass
class TableLink:
    """How rows of one table reach a person, as SQL over alias `t`."""

    customer: str | None
    email: str | None
    via: str
    order_time: str | None


def table_link(spec: TableSpec) -> TableLink | None:
    """The person link declared in the PII map, or None for tables that hold no one's data."""
    person = spec.person
    if not person or not (person.get("customer_id") or person.get("email")):
        return None

    def expression(value: str | None) -> str | None:
        return None if value is None else value if "." in value else f"t.{value}"

    return TableLink(
        expression(person.get("customer_id")),
        expression(person.get("email")),
        person.get("via", ""),
        expression(person.get("order_time")),
    )


@dataclass
class Resolution:
    """Affected individuals (one row each; personal data, so it only ever goes to the lake encrypted) and counts."""

    individuals: pd.DataFrame
    unlinked_tables: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    unreadable_values: int = 0


class TextDecoding:
    """SQLite text decoding that reads a value which is not UTF-8 as missing and counts it, instead of failing the query."""

    def __init__(self) -> None:
        self.unreadable = 0

    def __call__(self, raw: bytes) -> str | None:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.unreadable += 1
            return None


DECODING = TextDecoding()


def _stream(engine: sa.Engine, sql: str, params: dict[str, Any] | None = None) -> Iterator[list[tuple[Any, ...]]]:
    try:
        with engine.connect() as connection:
            driver = getattr(connection.connection, "driver_connection", None)
            if isinstance(driver, sqlite3.Connection):
                driver.text_factory = DECODING
            result = connection.execution_options(stream_results=True).execute(sa.text(sql), params or {})
            while rows := result.fetchmany(STREAM_ROWS):
                yield [tuple(row) for row in rows]
    except sa.exc.SQLAlchemyError as error:
        raise SourceError(f"scope query failed: {type(getattr(error, 'orig', None) or error).__name__}") from None
    except UnicodeDecodeError:
        raise SourceError(
            "scope query failed: the source returned text that is not UTF-8 (check the connection charset)"
        ) from None


def _frame(engine: sa.Engine, sql: str, columns: list[str], params: dict[str, Any] | None = None) -> pd.DataFrame:
    chunks = [pd.DataFrame(rows, columns=columns) for rows in _stream(engine, sql, params)]
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=columns)


def _aligned(exposure: pd.DataFrame, flag_columns: list[str]) -> pd.DataFrame:
    """One table's exposure with every flag column as a boolean, typed ids and normalised emails, ready to concatenate."""
    aligned = exposure.reindex(columns=["customer_id", "email", *flag_columns], fill_value=False)
    aligned["customer_id"] = pd.to_numeric(aligned["customer_id"], errors="coerce").astype("Int64")
    aligned["email"] = aligned["email"].map(normalise_email, na_action="ignore")  # SQL LOWER() is ASCII-only in SQLite
    return aligned


class ScopeResolver:
    """Resolves one incident against one source engine (MariaDB, MySQL or SQLite, including a snapshot copy)."""

    def __init__(self, engine: sa.Engine, pii_map: PiiMap, trigger: IncidentTrigger, scope_keys: list[str] | None = None):
        self.engine = engine
        self.pii_map = pii_map
        self.trigger = trigger
        self.scope_keys = scope_keys or []
        self.types = magento_tables()
        self.timings: dict[str, float] = {}

    # -- which people ------------------------------------------------------------------------------------

    def seed(self) -> tuple[set[int], set[str]] | None:
        """Customer ids and emails selected by the scope, or None when every row of the compromised tables counts."""
        kind = self.trigger.scope_kind
        params = self._utc_window()
        if kind == "all_rows":
            return None
        if kind == "orders_window":
            rows = _frame(
                self.engine,
                "SELECT customer_id, customer_email FROM sales_order WHERE created_at >= :ws AND created_at <= :we",
                ["customer_id", "email"],
                params,
            )
        elif kind == "customer_updates_window":
            rows = _frame(
                self.engine,
                "SELECT entity_id, email FROM customer_entity WHERE updated_at >= :ws AND updated_at <= :we",
                ["customer_id", "email"],
                params,
            )
        elif kind == "sessions_window":
            rows = pd.concat(
                [
                    _frame(
                        self.engine,
                        "SELECT customer_id, NULL FROM customer_visitor WHERE customer_id IS NOT NULL "
                        "AND last_visit_at >= :ws AND last_visit_at <= :we",
                        ["customer_id", "email"],
                        params,
                    ),
                    _frame(
                        self.engine,
                        "SELECT customer_id, NULL FROM customer_log WHERE last_login_at >= :ws AND last_login_at <= :we",
                        ["customer_id", "email"],
                        params,
                    ),
                ],
                ignore_index=True,
            )
        elif kind == "access_log":
            rows = self._seed_from_access_log()
        else:
            rows = self._seed_from_file()
        ids = {int(v) for v in rows["customer_id"].dropna()}
        emails = {e for e in (normalise_email(v) for v in rows["email"]) if e}
        return ids, emails

    def _utc_window(self) -> dict[str, Any]:
        fmt = "%Y-%m-%d %H:%M:%S"
        start, end = self.trigger.window_start, self.trigger.window_end
        return {
            "ws": start.astimezone(UTC).strftime(fmt) if start else None,
            "we": end.astimezone(UTC).strftime(fmt) if end else None,
        }

    def _seed_from_access_log(self) -> pd.DataFrame:
        """Customers whose records the client read: 'customer:<id>' keys, and the buyers of 'order:<entity_id>' keys."""
        customers = [int(k.split(":", 1)[1]) for k in self.scope_keys if k.startswith("customer:")]
        orders = [int(k.split(":", 1)[1]) for k in self.scope_keys if k.startswith("order:")]
        frames = [pd.DataFrame({"customer_id": customers, "email": [None] * len(customers)})]
        for start in range(0, len(orders), 1000):
            chunk = orders[start : start + 1000]
            params = {f"k{i}": value for i, value in enumerate(chunk)}
            placeholders = ", ".join(f":k{i}" for i in range(len(chunk)))
            frames.append(
                _frame(
                    self.engine,
                    f"SELECT customer_id, customer_email FROM sales_order WHERE entity_id IN ({placeholders})",
                    ["customer_id", "email"],
                    params,
                )
            )
        return pd.concat(frames, ignore_index=True)

    def _seed_from_file(self) -> pd.DataFrame:
        kind = self.trigger.scope_file_kind
        if kind == "customer_ids":
            return pd.DataFrame({"customer_id": [int(k) for k in self.scope_keys], "email": [None] * len(self.scope_keys)})
        if kind == "emails":
            return pd.DataFrame({"customer_id": [None] * len(self.scope_keys), "email": list(self.scope_keys)})
        frames = []
        for start in range(0, len(self.scope_keys), 1000):
            chunk = self.scope_keys[start : start + 1000]
            params = {f"k{i}": value for i, value in enumerate(chunk)}
            placeholders = ", ".join(f":k{i}" for i in range(len(chunk)))
            frames.append(
                _frame(
                    self.engine,
                    f"SELECT customer_id, customer_email FROM sales_order WHERE increment_id IN ({placeholders})",
                    ["customer_id", "email"],
                    params,
                )
            )
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["customer_id", "email"])

    # -- what was exposed --------------------------------------------------------------------------------

    def _involved(self, category: str) -> bool:
        wanted = self.trigger.data_elements
        return not wanted or any(category == w or category.startswith(w + ".") or w.startswith(category + ".") for w in wanted)

    def exposure(self, spec: TableSpec, link: TableLink) -> pd.DataFrame:
        """Per person of one table: element -> exposed, and element -> exposed unencrypted."""
        columns = [c for c in spec.columns.values() if self._involved(c.category)]
        if not columns:
            return pd.DataFrame()
        flags = []
        for column in columns:
            declared = self.types[spec.name].columns[column.name].type
            nonempty = f"t.{column.name} IS NOT NULL" + (f" AND t.{column.name} <> ''" if declared in TEXT_TYPES else "")
            flags.append(f"MAX(CASE WHEN {nonempty} THEN 1 ELSE 0 END)")
        customer = link.customer or "NULL"
        email = f"LOWER(TRIM({link.email}))" if link.email else "NULL"
        person_email = f"CASE WHEN {customer} IS NULL THEN {email} END" if link.customer else email
        where = ""
        params = {}
        if self.trigger.scope_kind == "orders_window" and link.order_time:
            where = f" WHERE {link.order_time} >= :ws AND {link.order_time} <= :we"
            params = self._utc_window()
        sql = (
            f"SELECT {customer} AS customer_id, {person_email} AS email, {', '.join(flags)} "
            f"FROM {spec.name} t {link.via}{where} GROUP BY {customer}, {person_email}"
        )
        started = time.monotonic()
        flag_names = {c.name: f"f{i}" for i, c in enumerate(columns)}
        frame = _frame(self.engine, sql, ["customer_id", "email", *flag_names.values()], params)
        self.timings[f"exposure:{spec.name}"] = round(time.monotonic() - started, 3)
        out = frame[["customer_id", "email"]].copy()
        for category in sorted({c.category for c in columns}):
            contributing = [c for c in columns if c.category == category]
            out[f"el:{category}"] = frame[[flag_names[c.name] for c in contributing]].astype(int).max(axis=1).astype(bool)
            clear = [flag_names[c.name] for c in contributing if not self._protected(c.encrypted)]
            out[f"clear:{category}"] = frame[clear].astype(int).max(axis=1).astype(bool) if clear else False
        return out

    def _protected(self, column_encrypted: bool) -> bool:
        """An element is safe when the data (or this Magento-encrypted column) was encrypted and the key was not taken."""
        return (self.trigger.encrypted or column_encrypted) and not self.trigger.key_compromised

    # -- who they are ------------------------------------------------------------------------------------

    def customers(self, ids: list[int] | None) -> pd.DataFrame:
        """Account details and default billing address of registered customers."""
        sql = (
            "SELECT c.entity_id, c.email, c.firstname, c.lastname, c.store_id, a.street, a.city, a.region, a.postcode, "
            "a.country_id, r.code FROM customer_entity c LEFT JOIN customer_address_entity a ON a.entity_id = c.default_billing "
            "LEFT JOIN directory_country_region r ON r.region_id = a.region_id"
        )
        frame = _frame(self.engine, sql, ["customer_id", "account_email", *PERSON_DETAILS])
        frame["residency_source"] = frame["country_id"].map(lambda v: "default_billing" if v else None)
        return frame if ids is None else frame[frame["customer_id"].isin(ids)]

    def latest_orders(self) -> pd.DataFrame:
        """The latest order's billing details per registered customer and per guest email (emails normalised in Python)."""
        sql = (
            "SELECT customer_id, email, firstname, lastname, store_id, street, city, region, postcode, country_id, code,"
            " created_at, entity_id FROM ("
            " SELECT o.customer_id, LOWER(TRIM(o.customer_email)) AS email, o.customer_firstname AS firstname,"
            " o.customer_lastname AS lastname, o.store_id, a.street, a.city, a.region, a.postcode, a.country_id, r.code,"
            " o.created_at, o.entity_id,"
            " ROW_NUMBER() OVER (PARTITION BY COALESCE(CAST(o.customer_id AS CHAR), LOWER(TRIM(o.customer_email)))"
            " ORDER BY o.created_at DESC, o.entity_id DESC) AS position"
            " FROM sales_order o LEFT JOIN sales_order_address a ON a.parent_id = o.entity_id AND a.address_type = 'billing'"
            " LEFT JOIN directory_country_region r ON r.region_id = a.region_id) ranked WHERE position = 1"
        )
        orders = _frame(self.engine, sql, ["customer_id", "email", *PERSON_DETAILS, "created_at", "entity_id"])
        orders["email"] = orders["email"].map(normalise_email)
        orders["customer_id"] = pd.to_numeric(orders["customer_id"], errors="coerce").astype("Int64")
        orders["created_at"] = orders["created_at"].astype(str)
        orders = orders.sort_values(["created_at", "entity_id"], ascending=False)
        registered = orders[orders["customer_id"].notna()].drop_duplicates("customer_id")
        guests = orders[orders["customer_id"].isna()].drop_duplicates("email")
        return pd.concat([registered, guests], ignore_index=True).drop(columns=["created_at", "entity_id"])

    def store_languages(self) -> dict[int, str]:
        """Store id -> notice language ('es' for Spanish store views, else 'en')."""
        try:
            rows = _frame(
                self.engine,
                "SELECT scope, scope_id, value FROM core_config_data WHERE path = 'general/locale/code'",
                ["scope", "scope_id", "value"],
            )
        except SourceError:
            return {}
        default = next((v for s, v in zip(rows["scope"], rows["value"], strict=True) if s == "default"), "en_US")
        languages = {
            int(i): ("es" if str(v).startswith("es") else "en")
            for s, i, v in zip(rows["scope"], rows["scope_id"], rows["value"], strict=True)
            if s == "stores"
        }
        languages[-1] = "es" if str(default).startswith("es") else "en"
        return languages

    # -- the whole resolution ----------------------------------------------------------------------------

    def resolve(self) -> Resolution:
        """Every affected individual with exposed elements, residency, channels and language."""
        started, unreadable = time.monotonic(), DECODING.unreadable
        seed = self.seed()
        self.timings["seed"] = round(time.monotonic() - started, 3)
        unlinked, frames = [], []
        for table in self.trigger.compromised_tables:
            spec = self.pii_map.tables[table]
            link = table_link(spec)
            if link is None:
                unlinked.append(table)
                continue
            exposure = self.exposure(spec, link)
            if not exposure.empty:
                frames.append(exposure)
        if not frames:
            return Resolution(pd.DataFrame(columns=INDIVIDUAL_COLUMNS), unlinked, self.timings, DECODING.unreadable - unreadable)
        started = time.monotonic()
        flag_columns = sorted({c for frame in frames for c in frame.columns if c.startswith(("el:", "clear:"))})
        merged = pd.concat([_aligned(frame, flag_columns) for frame in frames], ignore_index=True)
        del frames
        merged = merged.groupby(["customer_id", "email"], dropna=False, sort=False)[flag_columns].max().reset_index()
        customers = self.customers(None)
        customers["customer_id"] = pd.to_numeric(customers["customer_id"]).astype("Int64")
        customers["account_email"] = customers["account_email"].map(normalise_email)
        if seed is not None:
            ids, emails = seed
            ids = ids | {int(v) for v in customers.loc[customers["account_email"].isin(emails), "customer_id"].dropna()}
            merged = merged[merged["customer_id"].isin(ids) | merged["email"].isin(emails)]
        merged = merged.merge(customers[["customer_id", "account_email"]], on="customer_id", how="left")
        merged["key_email"] = merged["account_email"].where(merged["customer_id"].notna(), merged["email"])
        merged["person"] = merged["key_email"].where(
            merged["key_email"].notna(), "customer:" + merged["customer_id"].astype("string")
        )
        self.timings["merge"] = round(time.monotonic() - started, 3)
        individuals = self._individuals(merged, customers, flag_columns)
        self.timings["details"] = round(time.monotonic() - started - self.timings["merge"], 3)
        return Resolution(individuals, unlinked, self.timings, DECODING.unreadable - unreadable)

    def _individuals(self, merged: pd.DataFrame, customers: pd.DataFrame, flag_columns: list[str]) -> pd.DataFrame:
        people = merged.groupby("person", sort=True)[flag_columns].max()
        accounts = merged[["person", "customer_id"]].dropna().drop_duplicates().sort_values(["person", "customer_id"])
        ids = (
            {person: [int(i) for i in group] for person, group in accounts.groupby("person")["customer_id"]}
            if len(accounts)
            else {}
        )
        people = people.reset_index()
        people["customer_ids"] = [ids.get(person, []) for person in people["person"]]
        elements = sorted(c[3:] for c in flag_columns if c.startswith("el:"))
        exposed = people[[f"el:{e}" for e in elements]].to_numpy()
        clear = people[[f"clear:{e}" for e in elements]].to_numpy()
        people["data_elements"] = [[e for e, x in zip(elements, row, strict=True) if x] for row in exposed]
        people["encrypted_elements"] = [
            [e for e, x, c in zip(elements, xs, cs, strict=True) if x and not c] for xs, cs in zip(exposed, clear, strict=True)
        ]
        people = people.drop(columns=flag_columns)
        people = people[people["data_elements"].map(len) > 0].reset_index(drop=True)
        people["primary_customer_id"] = people["customer_ids"].map(lambda ids: ids[0] if ids else None).astype("Int64")
        details = customers.drop(columns=["account_email"]).rename(columns={"customer_id": "primary_customer_id"})
        people = people.merge(details, on="primary_customer_id", how="left")
        orders = self.latest_orders()
        incomplete = people["residency_source"].isna() | people[["firstname", "lastname", "store_id"]].isna().any(axis=1)
        needs_order = orders["customer_id"].isin(people.loc[incomplete, "primary_customer_id"].dropna())
        by_customer = (
            orders[needs_order].drop(columns=["email"]).add_prefix("o_").rename(columns={"o_customer_id": "primary_customer_id"})
        )
        by_email = (
            orders[orders["customer_id"].isna()]
            .drop(columns=["customer_id"])
            .add_prefix("g_")
            .rename(columns={"g_email": "person"})
        )
        people = people.merge(by_customer, on="primary_customer_id", how="left").merge(by_email, on="person", how="left")
        for column in ("firstname", "lastname", "store_id", "street", "city", "region", "postcode", "country_id", "region_code"):
            fallback = people[f"o_{column}"].where(people["primary_customer_id"].notna(), people[f"g_{column}"])
            if column in ("firstname", "lastname", "store_id"):
                people[column] = people[column].where(people[column].notna(), fallback)
            else:
                use_order = people["residency_source"].isna()
                people[column] = people[column].where(~use_order, fallback)
        has_order_address = people["residency_source"].isna() & people["country_id"].notna()
        people.loc[has_order_address, "residency_source"] = "latest_order"
        people["residency_source"] = people["residency_source"].fillna("unknown")
        people = people.drop(columns=[c for c in people.columns if c.startswith(("o_", "g_"))])
        people["jurisdiction"] = [
            jurisdiction_of(c, r, t)
            for c, r, t in zip(people["country_id"], people["region_code"], people["region"], strict=True)
        ]
        people.loc[people["jurisdiction"] == "UNKNOWN", "residency_source"] = "unknown"
        people["email"] = people["person"].where(~people["person"].str.startswith("customer:"), None)
        people["email_valid"] = people["email"].map(lambda e: bool(e and EMAIL.match(e)))
        people["postal_valid"] = people[["street", "city", "postcode", "country_id"]].notna().all(axis=1)
        languages = self.store_languages()
        default_language = languages.get(-1, "en")
        people["language"] = people["store_id"].map(
            lambda s: languages.get(int(s), default_language) if pd.notna(s) else default_language
        )
        people["credentials_exposed"] = people["data_elements"].map(lambda els: bool(CREDENTIAL_ELEMENTS & set(els)))
        return people[INDIVIDUAL_COLUMNS].reset_index(drop=True)


INDIVIDUAL_COLUMNS = [
    "person",
    "customer_ids",
    "email",
    "firstname",
    "lastname",
    "street",
    "city",
    "region",
    "postcode",
    "country_id",
    "jurisdiction",
    "residency_source",
    "email_valid",
    "postal_valid",
    "language",
    "data_elements",
    "encrypted_elements",
    "credentials_exposed",
]


SCOPE_VALUE_CHECKS = {
    "customer_ids": re.compile(r"\d{1,10}"),
    "order_increment_ids": re.compile(r"[A-Za-z0-9-]{1,50}"),
    "emails": re.compile(r"[^@\s]{1,64}@[^@\s]{1,250}\.[A-Za-z]{2,63}"),
}
MAX_SCOPE_BYTES = 256 * 1024 * 1024
MAX_SCOPE_VALUES = 10_000_000


def _scope_values(data: bytes) -> list[str]:
    """The raw values of a scope file: a JSON list of strings or numbers, else the first column of CSV or text lines."""
    if len(data) > MAX_SCOPE_BYTES:
        raise ValueError(f"scope file is larger than {MAX_SCOPE_BYTES // (1024 * 1024)} MiB")
    text = data.decode("utf-8-sig", "replace")
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            document = load_json(stripped, max_depth=1, max_bytes=MAX_SCOPE_BYTES)
        except JsonInputError as error:
            raise ValueError(f"scope file: {error}") from None
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in document):
            raise ValueError("scope file: a JSON scope file must be a list of strings or numbers")
        return [str(v) for v in document]
    csv.field_size_limit(1024 * 1024)
    try:
        return [row[0] for row in csv.reader(io.StringIO(text, newline="")) if row and row[0].strip()]
    except csv.Error:
        raise ValueError("scope file: not readable as CSV (a field is malformed or too long)") from None


def parse_scope_file(data: bytes, kind: str) -> list[str]:
    """Keys from a responder's scope file (CSV, text lines or a JSON list), validated per kind."""
    values = [v.strip() for v in _scope_values(data)]
    if len(values) > MAX_SCOPE_VALUES:
        raise ValueError(f"scope file holds more than {MAX_SCOPE_VALUES:,} values")
    checks = SCOPE_VALUE_CHECKS
    if values and not checks[kind].fullmatch(values[0]) and re.fullmatch(r"[A-Za-z_ ]+", values[0]):
        values = values[1:]  # a header line
    bad = [v for v in values if not checks[kind].fullmatch(v)]
    if bad:
        raise ValueError(
            f"scope file holds {len(bad)} value(s) that are not {kind.replace('_', ' ')} "
            f"(first at position {values.index(bad[0]) + 1})"
        )
    return [v.lower() for v in values] if kind == "emails" else values


def affected_groups(individuals: pd.DataFrame, trigger: IncidentTrigger) -> list[dict[str, Any]]:
    """AFFECTED.json groups: counts by jurisdiction and exposed / encrypted element sets."""
    if individuals.empty:
        return []
    keys = Counter(
        zip(
            individuals["jurisdiction"],
            map(tuple, individuals["data_elements"]),
            map(tuple, individuals["encrypted_elements"]),
            strict=True,
        )
    )
    groups = []
    for (jurisdiction, elements, encrypted), count in sorted(keys.items()):
        groups.append(
            {
                "jurisdiction": jurisdiction,
                "count": int(count),
                "data_elements": list(elements),
                "encrypted": bool(elements) and set(encrypted) == set(elements),
                "key_compromised": trigger.key_compromised,
                "encrypted_elements": list(encrypted),
            }
        )
    return groups
