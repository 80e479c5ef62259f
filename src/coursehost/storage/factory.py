"""Build the configured BlobStore from a storage URL."""

from __future__ import annotations

from pathlib import Path

from coursehost.storage.base import BlobStore
from coursehost.storage.filesystem import FilesystemBlobStore


def make_blob_store(storage_url: str, s3_endpoint_url: str | None = None) -> BlobStore:
    """Return the store for STORAGE_URL: file:///abs/path, a plain path, or s3://bucket/prefix."""
    if not storage_url or not storage_url.strip():
        raise ValueError("storage URL is empty; use file:///absolute/path or s3://bucket/prefix")
    url = storage_url.strip()
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(f"storage URL {storage_url!r} names no bucket; use s3://bucket/prefix")
        from coursehost.storage.s3 import S3BlobStore  # boto3 is only imported when S3 is used

        return S3BlobStore(bucket, prefix, endpoint_url=s3_endpoint_url)
    if url.startswith("file://"):
        return FilesystemBlobStore(_file_url_path(url))
    if "://" in url:
        raise ValueError(f"unsupported storage URL {storage_url!r}; use file:// or s3://")
    return FilesystemBlobStore(Path(url))


def _file_url_path(url: str) -> Path:
    """The absolute path of a file:// URL, taken literally."""
    # Not percent-decoded: Settings builds file://{path} from raw paths, so a '%', '#' or '?' in a
    # directory name must survive as written.
    rest = url[len("file://"):]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost"):]
    if not rest.startswith("/"):
        raise ValueError(f"file storage URL {url!r} must hold an absolute path: file:///abs/path")
    return Path(rest)
