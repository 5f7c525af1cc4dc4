"""The lake: one URL (file:// or s3://bucket/prefix) under which every output lives, keyed by DAG, run or incident."""

from __future__ import annotations

import builtins
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypedDict
from urllib.parse import unquote, urlsplit

from include.config import Config, get_connection, has_connection, load_config


class StoredOutput(TypedDict):
    """One object a task wrote, as tasks report it through XCom and manifests list it."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class StoredObject:
    """What a write left in the lake: its key, content hash and size."""

    key: str
    sha256: str
    size: int

    def as_dict(self) -> StoredOutput:
        """JSON-ready form (what tasks return through XCom)."""
        return {"path": self.key, "sha256": self.sha256, "size": self.size}


class LakeError(RuntimeError):
    """A lake operation failed; the message names the key and the operation, never the content."""


class Lake(Protocol):
    """What every lake backend offers."""

    url: str

    def put(self, key: str, data: bytes, *, locked: bool = False) -> StoredObject: ...
    def put_if_absent(self, key: str, data: bytes, *, locked: bool = False) -> StoredObject | None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str = "") -> Iterator[tuple[str, int]]: ...
    def delete(self, key: str) -> None: ...
    def history(self, key: str) -> Sequence[bytes]: ...
    def version_counts(self, prefix: str) -> dict[str, int]: ...


def _stored(key: str, data: bytes) -> StoredObject:
    return StoredObject(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise LakeError(f"invalid lake key {key!r}")
    return key


class FileLake:
    """A folder on disk; writes are atomic (temp file + rename), so readers never see half an object."""

    def __init__(self, root: Path):
        self.root = root
        self.url = root.as_uri()

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, *, locked: bool = False) -> StoredObject:
        """Write (or overwrite) one object."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
        return _stored(key, data)

    def put_if_absent(self, key: str, data: bytes, *, locked: bool = False) -> StoredObject | None:
        """Write only when nothing is at key yet; None when something already is."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            handle.write(data)
        try:
            os.link(handle.name, path)
        except FileExistsError:
            return None
        finally:
            os.unlink(handle.name)
        return _stored(key, data)

    def get(self, key: str) -> bytes:
        """Read one object."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as error:
            raise LakeError(f"missing lake object {key}") from error

    def exists(self, key: str) -> bool:
        """True when an object is at key."""
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        """Every (key, size) under prefix, in key order."""
        base = self.root / prefix if prefix else self.root
        if base.is_file():
            yield prefix, base.stat().st_size
            return
        if not base.exists():
            return
        for path in sorted(base.rglob("*")):
            if path.name.startswith(".tmp-"):
                continue
            try:
                size = path.stat().st_size if path.is_file() else None
            except FileNotFoundError:  # removed while listing (a pruned lease record)
                continue
            if size is not None:
                yield path.relative_to(self.root).as_posix(), size

    def delete(self, key: str) -> None:
        """Remove one object (missing is fine)."""
        self._path(key).unlink(missing_ok=True)

    def history(self, key: str) -> Sequence[bytes]:
        """Every retained version of an object: a folder keeps only the current one."""
        return [self.get(key)] if self.exists(key) else []

    def version_counts(self, prefix: str) -> dict[str, int]:
        """How many versions of each object under prefix are retained: one each in a folder."""
        return {key: 1 for key, _ in self.list(prefix)}


class S3Lake:
    """An S3 bucket and prefix; every write carries SSE-KMS, and locked writes carry Object Lock in COMPLIANCE mode."""

    def __init__(self, bucket: str, prefix: str, client: Any, *, kms_key_id: str | None = None, lock_days: int = 2555):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.kms_key_id = kms_key_id
        self.lock_days = lock_days
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def _key(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _put_args(self, locked: bool) -> dict[str, Any]:
        args: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
        if self.kms_key_id:
            args["SSEKMSKeyId"] = self.kms_key_id
        if locked:
            args["ObjectLockMode"] = "COMPLIANCE"
            args["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.lock_days)
        return args

    def put(self, key: str, data: bytes, *, locked: bool = False) -> StoredObject:
        """Write (or overwrite) one object."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 (botocore only for S3 lakes)

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **self._put_args(locked))
        except (BotoCoreError, ClientError) as error:
            raise LakeError(f"S3 write of {key} failed: {type(error).__name__}") from error
        return _stored(key, data)

    def put_if_absent(self, key: str, data: bytes, *, locked: bool = False) -> StoredObject | None:
        """Conditional write (If-None-Match: *); None when the key exists."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 (botocore only for S3 lakes)

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*", **self._put_args(locked))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return None
            raise LakeError(f"S3 write of {key} failed: {type(error).__name__}") from error
        except BotoCoreError as error:
            raise LakeError(f"S3 write of {key} failed: {type(error).__name__}") from error
        return _stored(key, data)

    def get(self, key: str) -> bytes:
        """Read one object."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 (botocore only for S3 lakes)

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except (BotoCoreError, ClientError) as error:
            raise LakeError(f"S3 read of {key} failed: {type(error).__name__}") from error

    def exists(self, key: str) -> bool:
        """True when an object is at key."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 (botocore only for S3 lakes)

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError:
            return False
        return True

    def list(self, prefix: str = "") -> Iterator[tuple[str, int]]:
        """Every (key, size) under prefix, in key order."""
        if ".." in prefix.split("/") or prefix.startswith("/"):
            raise LakeError(f"invalid lake prefix {prefix!r}")
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        strip = len(self.prefix) + 1 if self.prefix else 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            for item in page.get("Contents", []):
                yield item["Key"][strip:], item["Size"]

    def delete(self, key: str) -> None:
        """Remove one object (a delete marker where versioning is on)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def history(self, key: str) -> Sequence[bytes]:
        """Every retained version of an object, oldest first (under Object Lock, none can be removed)."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 (botocore only for S3 lakes)

        full = self._key(key)
        found: builtins.list[dict[str, Any]] = []
        try:
            for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=full):
                found.extend(v for v in page.get("Versions", []) if v["Key"] == full)
            found.reverse()  # S3 lists a key's versions newest first
            return [self.client.get_object(Bucket=self.bucket, Key=full, VersionId=v["VersionId"])["Body"].read() for v in found]
        except (BotoCoreError, ClientError) as error:
            raise LakeError(f"S3 version listing of {key} failed: {type(error).__name__}") from error

    def version_counts(self, prefix: str) -> dict[str, int]:
        """How many versions of each object under prefix are retained (more than one: it was overwritten)."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 (botocore only for S3 lakes)

        full = self._key(prefix.rstrip("/")) + "/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        counts: dict[str, int] = {}
        try:
            for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=full):
                for version in page.get("Versions", []):
                    counts[version["Key"][strip:]] = counts.get(version["Key"][strip:], 0) + 1
        except (BotoCoreError, ClientError) as error:
            raise LakeError(f"S3 version listing of {prefix} failed: {type(error).__name__}") from error
        return counts


def s3_client(config: Config | None = None) -> Any:
    """boto3 S3 client from the Airflow AWS connection (login/password/extra like the amazon provider), else boto3's chain."""
    import boto3  # noqa: PLC0415 (boto3 only for S3 lakes)

    conn_id = (config or load_config()).aws_conn_id
    kwargs: dict[str, Any] = {}
    if has_connection(conn_id):
        info = get_connection(conn_id)
        extra = info.extra
        kwargs = {
            "aws_access_key_id": info.login or extra.get("aws_access_key_id"),
            "aws_secret_access_key": info.password or extra.get("aws_secret_access_key"),
            "region_name": extra.get("region_name"),
            "endpoint_url": extra.get("endpoint_url"),
        }
    return boto3.client("s3", **{k: v for k, v in kwargs.items() if v})


def open_lake(url: str | None = None, *, client: Any = None, config: Config | None = None) -> Lake:
    """The lake at url (default: the configured LAKE_URL); S3 writes carry the configured KMS key and lock period."""
    config = config or load_config()
    url = url or config.lake_url
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileLake(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        return S3Lake(
            parts.netloc, parts.path, client or s3_client(config), kms_key_id=config.kms_key_id, lock_days=config.lock_days
        )
    if not parts.scheme:
        return FileLake(Path(url).resolve())
    raise LakeError(f"unsupported lake URL scheme {parts.scheme!r} (use file:// or s3://)")
