"""Minimal media files for detection tests: the first bytes of a PDF, an MP4 and an MP3."""

from __future__ import annotations


def pdf_bytes() -> bytes:
    """A tiny (structurally plausible) one-page PDF."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def mp4_bytes() -> bytes:
    """An ISO BMFF 'ftyp' box (brand isom) followed by an empty 'mdat' box."""
    ftyp = b"ftyp" + b"isom" + b"\x00\x00\x02\x00" + b"isomiso2avc1mp41"
    return len(ftyp + b"\x00" * 4).to_bytes(4, "big") + ftyp + b"\x00\x00\x00\x08mdat"


def mp3_bytes(id3: bool = True) -> bytes:
    """An MP3: an ID3v2 tag then an MPEG-1 layer III frame header (or the bare frame)."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    if not id3:
        return frame
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + frame
