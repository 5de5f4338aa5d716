"""S3-compatible storage through boto3: conditional puts (If-None-Match: *) with a server-checked SHA-256."""
import base64
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from firma.platform.storage.base import NOT_STORED, StorageError, StorageUnavailable, StoredFile, check_name

# Short timeouts and a few retries: a dead endpoint costs a request (or /readyz) seconds, not minutes.
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"},
                       s3={"addressing_style": "path"}, signature_version="s3v4")
# The readiness probe tries once, fast: a black-holed endpoint must not outlast a 5 s probe timeout.
PROBE_CONFIG = CLIENT_CONFIG.merge(Config(connect_timeout=1, read_timeout=2,
                                          retries={"total_max_attempts": 1, "mode": "standard"}))
MISSING = {"404", "NoSuchKey", "NotFound"}

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def client(endpoint_url: str | None, *, probe: bool = False):
    """This process's S3 client for an endpoint (boto3 clients are thread-safe; a forked child makes its own)."""
    key = (os.getpid(), endpoint_url, probe)
    with _clients_lock:
        if key not in _clients:
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            _clients[key] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url or None, region_name=region,
                config=PROBE_CONFIG if probe else CLIENT_CONFIG)
        return _clients[key]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Backend:
    """Objects under `prefix/` in one bucket, shared by every host and worker."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    @property
    def client(self):
        return client(self.endpoint_url)

    def _key(self, relpath: str) -> str:
        name = check_name(relpath)
        return f"{self.prefix}/{name}" if self.prefix else name

    def _fail(self, action: str, relpath: str, exc: Exception) -> StorageError:
        """A StorageError naming the bucket, the file and the reason (StorageUnavailable when it may pass)."""
        reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) if isinstance(exc, ClientError) else 0
        kind = StorageUnavailable if isinstance(exc, BotoCoreError) or status >= 500 else StorageError
        return kind(f"object storage {self.url}: cannot {action} {relpath} ({reason}: {exc})")

    def write_once(self, relpath: str, data: bytes) -> None:
        """A conditional put with the bytes' SHA-256 (the server refuses a corrupted body and an existing name)."""
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(relpath), Body=data, IfNoneMatch="*",
                                   ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum)
            return
        except ClientError as exc:
            if _code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                raise self._fail("write", relpath, exc) from exc
        except BotoCoreError as exc:
            raise self._fail("write", relpath, exc) from exc
        for attempt in range(5):  # the name is taken (or being written): identical bytes are fine
            try:
                stored = self.sha256(relpath)
                if stored is None:
                    stored = hashlib.sha256(self.read(relpath)).hexdigest()
            except StorageError:
                time.sleep(0.2 * (attempt + 1))
                continue
            if stored != hashlib.sha256(data).hexdigest():
                raise StorageError(f"refusing to overwrite {relpath}")
            return
        raise StorageError(f"refusing to overwrite {relpath} (an unreadable object holds the name)")

    def sha256(self, relpath: str) -> str | None:
        """The hex SHA-256 the server recorded for an object (None if it kept none; StorageError if missing)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(relpath), ChecksumMode="ENABLED")
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("look up", relpath, exc) from exc
        value = head.get("ChecksumSHA256")
        if not value or "-" in value:  # a multipart upload's checksum is of its parts, not of the bytes
            return None
        return base64.b64decode(value).hex()

    def open(self, relpath: str) -> StoredFile:
        """The object's body as a stream (read in chunks; not held in memory)."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(relpath))
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("read", relpath, exc) from exc
        return StoredFile(answer["Body"], answer["ContentLength"], answer.get("ETag", "").strip('"'))

    def read(self, relpath: str) -> bytes:
        """The whole object."""
        stored = self.open(relpath)
        try:
            return stored.stream.read()
        except (BotoCoreError, OSError) as exc:
            raise self._fail("read", relpath, exc) from exc
        finally:
            stored.stream.close()

    def exists(self, relpath: str) -> bool:
        """Whether an object has this name (a HEAD request)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(relpath))
        except ClientError as exc:
            if _code(exc) in MISSING:
                return False
            raise self._fail("look up", relpath, exc) from exc
        except BotoCoreError as exc:
            raise self._fail("look up", relpath, exc) from exc
        return True

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored name under the storage's prefix (and `prefix`, a folder), probes left out."""
        start = f"{self.prefix}/" if self.prefix else ""
        if prefix:
            check_name(prefix.rstrip("/"))
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start + prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(start):]
                    if name and name.split("/")[0] not in NOT_STORED:
                        yield name
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("list", start or "/", exc) from exc

    def probe(self) -> None:
        """Put, read back and delete a small object under `.probe/`, each tried once with short timeouts."""
        name = f".probe/{secrets.token_hex(8)}.txt"
        key, data, quick = self._key(name), secrets.token_bytes(16), client(self.endpoint_url, probe=True)
        try:
            quick.head_bucket(Bucket=self.bucket)  # one short round trip first: a silent endpoint fails it fast
            quick.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*", ChecksumAlgorithm="SHA256",
                             ChecksumSHA256=base64.b64encode(hashlib.sha256(data).digest()).decode())
            try:
                if quick.get_object(Bucket=self.bucket, Key=key)["Body"].read() != data:
                    raise StorageError("object storage read back different bytes")
            finally:
                quick.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("probe", name, exc) from exc
