"""BlobStore on an S3 bucket (AWS, MinIO, moto, ...) through boto3."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from coursehost.storage.base import (
    CHUNK_SIZE,
    MAX_KEY_BYTES,
    BlobNotFound,
    validate_key,
    validate_prefix,
)

MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
MAX_PAGE_SIZE = 1000  # the most ListObjectsV2 returns and DeleteObjects accepts in one call


def _transfer_config() -> TransferConfig:
    """Multipart above 8 MiB, with a bounded number of parts held in memory per upload."""
    config = TransferConfig(
        multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024,
        max_concurrency=4, preferred_transfer_client="classic",
    )
    # A stream of unknown length is read part by part into memory; cap it at 4 parts (32 MiB).
    config.max_in_memory_upload_chunks = 4
    return config


class S3BlobStore:
    """Blobs as objects in BUCKET under PREFIX; the content type is stored on each object."""

    def __init__(
        self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client: Any = None,
        *, page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if not bucket:
            raise ValueError("S3 blob store needs a bucket name")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        prefix = prefix.strip("/")
        self.bucket = bucket
        self.prefix = f"{validate_key(prefix)}/" if prefix else ""
        self.page_size = page_size
        self.transfer_config = _transfer_config()
        if client is None:
            # Path-style addressing: S3-compatible servers on a custom endpoint rarely serve
            # bucket-named virtual hosts.
            config = Config(s3={"addressing_style": "path"}) if endpoint_url else None
            client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
        self.client = client

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> int:
        """Upload DATA under KEY (multipart for large streams); return the number of bytes sent."""
        name = self._name(key)
        extra = {"ContentType": content_type} if content_type else {}
        if isinstance(data, (bytes, bytearray, memoryview)):
            body = bytes(data)
            self.client.put_object(Bucket=self.bucket, Key=name, Body=body, **extra)
            return len(body)
        if not hasattr(data, "read"):
            raise TypeError(f"blob data must be bytes or a readable stream, not {type(data).__name__}")
        counter = _CountingReader(data)
        self.client.upload_fileobj(
            counter, self.bucket, name, ExtraArgs=extra or None, Config=self.transfer_config
        )
        return counter.count

    def open(self, key: str) -> BinaryIO:
        """Return a buffered stream over the object's body."""
        name = self._name(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as err:
            raise _not_found_or(err, key) from None
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=CHUNK_SIZE)

    def open_range(self, key: str, start: int, length: int) -> BinaryIO:
        """A stream of LENGTH bytes of the object from offset START (one ranged GET, nothing skipped)."""
        name = self._name(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name,
                                              Range=f"bytes={start}-{start + length - 1}")
        except ClientError as err:
            raise _not_found_or(err, key) from None
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=CHUNK_SIZE)

    def presigned_get(self, key: str, *, expires: int, content_type: str | None = None,
                      cache_control: str | None = None) -> str:
        """A URL that lets anyone holding it GET the object for EXPIRES seconds (signed locally, no
        request to S3); the bucket answers with CONTENT_TYPE and CACHE_CONTROL when given."""
        params = {"Bucket": self.bucket, "Key": self._name(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        if cache_control:
            params["ResponseCacheControl"] = cache_control
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def get(self, key: str) -> bytes:
        """Download the whole object under KEY."""
        with self.open(key) as stream:
            return stream.read()

    def ping(self) -> None:
        """One HEAD of the bucket: it exists and our credentials reach it."""
        self.client.head_bucket(Bucket=self.bucket)

    def exists(self, key: str) -> bool:
        """Say whether an object is stored under KEY (one HEAD request)."""
        try:
            self._head(key)
        except BlobNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        """Return the object's ContentLength."""
        return int(self._head(key)["ContentLength"])

    def delete(self, key: str) -> None:
        """Delete the object under KEY; S3 treats a missing key as success."""
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under PREFIX a page at a time; return how many were deleted."""
        validate_prefix(prefix)
        if not prefix:
            raise ValueError("refusing to delete every blob: delete_prefix needs a non-empty prefix")
        count = 0
        for page in self._pages(prefix):
            names = [item["Key"] for item in page]
            if not names:
                continue
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": n} for n in names], "Quiet": True}
            )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise OSError(
                    f"S3 refused to delete {len(errors)} object(s); first {first.get('Key')!r}: "
                    f"{first.get('Code')} {first.get('Message')}"
                )
            count += len(names)
        return count

    def list(self, prefix: str = "") -> Iterator[str]:
        """Yield keys under PREFIX; S3 already lists in UTF-8 byte order, which is code point order."""
        validate_prefix(prefix)
        cut = len(self.prefix)
        for page in self._pages(prefix):
            for item in page:
                yield item["Key"][cut:]

    def copy(self, src_key: str, dst_key: str) -> None:
        """Server-side copy (multipart for objects over 8 MiB)."""
        src, dst = self._name(src_key), self._name(dst_key)
        if src == dst:
            self._head(src_key)  # S3 refuses a plain self-copy; it is a no-op once SRC is known to exist
            return
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": src}, self.bucket, dst, Config=self.transfer_config
            )
        except ClientError as err:
            raise _not_found_or(err, src_key) from None

    def _name(self, key: str) -> str:
        """The object name for KEY: the store's prefix plus the validated key."""
        name = self.prefix + validate_key(key)
        if len(name.encode("utf-8")) > MAX_KEY_BYTES:
            raise ValueError(f"blob key with the store prefix is longer than {MAX_KEY_BYTES} bytes")
        return name

    def _head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as err:
            raise _not_found_or(err, key) from None

    def _pages(self, prefix: str) -> Iterator[list]:
        """Yield ListObjectsV2 pages (lists of object summaries) under PREFIX."""
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix,
            PaginationConfig={"PageSize": self.page_size},
        )
        for page in pages:
            yield page.get("Contents") or []


def _not_found_or(err: ClientError, key: str) -> Exception:
    """BlobNotFound when S3 says the object is missing, otherwise the original error."""
    code = str(err.response.get("Error", {}).get("Code", ""))
    return BlobNotFound(key) if code in MISSING_CODES else err


class _CountingReader:
    """A read-only wrapper that counts bytes; hiding seek() makes boto3 stream it part by part."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, amount: int | None = -1) -> bytes:
        chunk = self._stream.read(amount if amount is not None else -1)
        self.count += len(chunk)
        return chunk


class _BodyReader(io.RawIOBase):
    """botocore's StreamingBody as a raw io stream, so callers get a real BufferedReader."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
