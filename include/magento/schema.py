"""The real Magento 2.4.8 schema, parsed from the vendored DDL, and its SQLite translation for the demo store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).parent
DDL_FILES = (SCHEMA_DIR / "schema-2.4-full.sql", SCHEMA_DIR / "schema-2.4-indexer-tables.sql")

_TABLE_RE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?`(?P<name>\w+)` \((?P<body>.*?)\n\)[^;]*;", re.S)
_COLUMN_RE = re.compile(
    r"^\s*`(?P<name>\w+)` (?P<type>[a-z]+)(?:\((?P<size>[\d, ]+)\))?(?P<unsigned> UNSIGNED)?"
    r"(?P<rest>.*?),?$"
)
_KEY_RE = re.compile(r"^\s*(?P<kind>PRIMARY KEY|UNIQUE KEY|KEY|FULLTEXT KEY)\s*(?:`(?P<name>\w+)`)?\s*\((?P<cols>[^)]*)\)")
_DEFAULT_RE = re.compile(r"DEFAULT ('(?:[^']|'')*'|[^\s,]+)")

_SQLITE_TYPES = {
    "tinyint": "INTEGER",
    "smallint": "INTEGER",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "decimal": "NUMERIC",
    "float": "REAL",
    "double": "REAL",
    "varchar": "TEXT",
    "text": "TEXT",
    "mediumtext": "TEXT",
    "longtext": "TEXT",
    "date": "TEXT",
    "datetime": "TEXT",
    "timestamp": "TEXT",
    "blob": "BLOB",
    "mediumblob": "BLOB",
    "varbinary": "BLOB",
}
TEXT_TYPES = frozenset({"varchar", "text", "mediumtext", "longtext", "blob", "mediumblob", "varbinary"})
TIME_TYPES = frozenset({"date", "datetime", "timestamp"})


@dataclass(frozen=True)
class Column:
    """One column of a Magento table as the DDL declares it."""

    name: str
    type: str
    size: str | None
    nullable: bool
    default: str | None
    auto_increment: bool
    on_update_now: bool


@dataclass
class Table:
    """One Magento table: columns in order, primary key and secondary keys."""

    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    unique_keys: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    keys: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def _parse_column(line: str) -> Column | None:
    match = _COLUMN_RE.match(line)
    if not match:
        return None
    rest = match["rest"]
    default = _DEFAULT_RE.search(rest)
    return Column(
        name=match["name"],
        type=match["type"],
        size=match["size"],
        nullable=" NOT NULL" not in rest,
        default=default.group(1) if default else None,
        auto_increment="AUTO_INCREMENT" in rest,
        on_update_now="ON UPDATE CURRENT_TIMESTAMP" in rest,
    )


def parse_ddl(text: str) -> dict[str, Table]:
    """Parse Magento's generated MariaDB DDL into tables."""
    tables: dict[str, Table] = {}
    for match in _TABLE_RE.finditer(text):
        table = Table(match["name"])
        for line in match["body"].splitlines():
            if column := _parse_column(line):
                table.columns[column.name] = column
            elif key := _KEY_RE.match(line):
                cols = tuple(c.strip().strip("`") for c in key["cols"].split(","))
                if key["kind"] == "PRIMARY KEY":
                    table.primary_key = cols
                elif key["kind"] == "UNIQUE KEY":
                    table.unique_keys.append((key["name"], cols))
                elif key["kind"] == "KEY":
                    table.keys.append((key["name"], cols))
        tables[table.name] = table
    return tables


@cache
def magento_tables() -> dict[str, Table]:
    """Every table of Magento Open Source 2.4.8-p1, plus the indexer-built customer_grid_flat."""
    tables: dict[str, Table] = {}
    for path in DDL_FILES:
        tables.update(parse_ddl(path.read_text()))
    return tables


def _sqlite_default(column: Column) -> str:
    if column.default is None or column.default.upper() == "NULL":
        return ""
    if column.default.upper() == "CURRENT_TIMESTAMP":
        return " DEFAULT CURRENT_TIMESTAMP"
    if column.type in TIME_TYPES and column.default in ("0", "'0'"):
        return " DEFAULT '0000-00-00 00:00:00'"
    return f" DEFAULT {column.default}"


def sqlite_ddl(table: Table) -> list[str]:
    """CREATE statements that give SQLite the same table, columns, keys and ON UPDATE timestamps."""
    single_int_pk = len(table.primary_key) == 1 and table.columns[table.primary_key[0]].type in (
        "tinyint",
        "smallint",
        "int",
        "bigint",
    )
    lines = []
    for column in table.columns.values():
        if single_int_pk and column.name == table.primary_key[0]:
            lines.append(f'"{column.name}" INTEGER PRIMARY KEY' + (" AUTOINCREMENT" if column.auto_increment else ""))
            continue
        not_null = "" if column.nullable else " NOT NULL"
        lines.append(f'"{column.name}" {_SQLITE_TYPES[column.type]}{not_null}{_sqlite_default(column)}')
    if table.primary_key and not single_int_pk:
        lines.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in table.primary_key) + ")")
    statements = [f'CREATE TABLE IF NOT EXISTS "{table.name}" (\n  ' + ",\n  ".join(lines) + "\n)"]
    for unique, (name, cols) in [(True, k) for k in table.unique_keys] + [(False, k) for k in table.keys]:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        statements.append(
            f'CREATE {kind} IF NOT EXISTS "{table.name}__{name}" ON "{table.name}" (' + ", ".join(f'"{c}"' for c in cols) + ")"
        )
    if table.primary_key:
        where = " AND ".join(f'"{c}" = NEW."{c}"' for c in table.primary_key)
        for column in table.columns.values():
            if column.on_update_now:
                statements.append(
                    f'CREATE TRIGGER IF NOT EXISTS "{table.name}__{column.name}__on_update" AFTER UPDATE ON "{table.name}" '
                    f'FOR EACH ROW WHEN NEW."{column.name}" IS OLD."{column.name}" BEGIN '
                    f'UPDATE "{table.name}" SET "{column.name}" = CURRENT_TIMESTAMP WHERE {where}; END'
                )
    return statements


def mariadb_ddl_statements() -> list[str]:
    """The vendored DDL split into statements, in load order, for loading a fresh MariaDB database."""
    statements: list[str] = []
    for path in DDL_FILES:
        text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
        statements.extend(s.strip() for s in text.split(";\n") if s.strip())
    return [s.rstrip(";") for s in statements]
