"""Blob storage: the BlobStore protocol and its filesystem and S3 implementations."""

from __future__ import annotations

from coursehost.storage.base import BlobNotFound, BlobStore, validate_key, validate_prefix
from coursehost.storage.factory import make_blob_store
from coursehost.storage.filesystem import FilesystemBlobStore

__all__ = [
    "BlobNotFound", "BlobStore", "FilesystemBlobStore", "S3BlobStore", "make_blob_store",
    "validate_key", "validate_prefix",
]


def __getattr__(name: str):
    if name == "S3BlobStore":
        from coursehost.storage.s3 import S3BlobStore  # lazy: boto3 is only imported when S3 is used

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
