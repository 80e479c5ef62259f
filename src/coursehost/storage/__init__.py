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
    # S3BlobStore is loaded on first use so that importing storage does not import boto3.
    if name == "S3BlobStore":
        from coursehost.storage.s3 import S3BlobStore

        return S3BlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
