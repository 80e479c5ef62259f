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


# ---------------------------------------------------------------- playable files (the viewer's browser tests)


def pdf_document(pages: int) -> bytes:
    """A valid PDF of PAGES pages, each saying "Page N" in Helvetica, with a correct cross-reference table."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<</Type/Catalog/Pages 2 0 R>>")
    objects.append(f"<</Type/Pages/Kids[{kids}]/Count {pages}>>".encode())
    objects.append(b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")
    for i in range(pages):
        text = f"BT /F1 36 Tf 60 300 Td (Page {i + 1}) Tj ET".encode()
        objects.append(f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 400 400]/Resources<</Font<</F1 3 0 R>>>>"
                       f"/Contents {5 + 2 * i} 0 R>>".encode())
        objects.append(b"<</Length %d>>stream\n" % len(text) + text + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def mp3_silence(seconds: float) -> bytes:
    """SECONDS of silence as an MP3: MPEG-1 layer III frames, 32 kbit/s at 32 kHz (144 bytes, 36 ms
    each) whose side information is all zero (no coded data: silence)."""
    header = b"\xff\xfb\x18\xc4"  # sync, MPEG-1, layer III, no CRC; 32 kbit/s, 32 kHz, no padding; mono
    frames = max(1, round(seconds / 0.036))
    return (header + b"\x00" * 140) * frames


class _Bits:
    """An H.264 RBSP writer: fixed-width fields, Exp-Golomb codes, trailing bits."""

    def __init__(self):
        self.bits: list[int] = []

    def u(self, n: int, value: int) -> _Bits:
        self.bits += [(value >> (n - 1 - i)) & 1 for i in range(n)]
        return self

    def ue(self, value: int) -> _Bits:
        code = value + 1
        length = code.bit_length()
        return self.u(length - 1, 0).u(length, code)

    def se(self, value: int) -> _Bits:
        return self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> _Bits:
        while len(self.bits) % 8:
            self.bits.append(0)
        return self

    def raw(self, data: bytes) -> _Bits:
        for byte in data:
            self.u(8, byte)
        return self

    def rbsp(self) -> bytes:
        self.bits.append(1)
        self.align_zero()
        data = bytes(int("".join(map(str, self.bits[i:i + 8])), 2) for i in range(0, len(self.bits), 8))
        out = bytearray()  # emulation prevention: no 00 00 0x (x <= 3) inside a NAL unit
        zeros = 0
        for byte in data:
            if zeros >= 2 and byte <= 3:
                out.append(3)
                zeros = 0
            out.append(byte)
            zeros = zeros + 1 if byte == 0 else 0
        return bytes(out)


def _h264_frames(count: int) -> tuple[bytes, bytes, list[bytes]]:
    """(SPS, PPS, samples) of a 16x16 H.264 Baseline stream: an IDR picture of one I_PCM macroblock
    (a grey square) then COUNT - 1 P pictures that skip it; each sample is its NAL unit, length-prefixed."""
    sps = bytes([0x67]) + _Bits().u(8, 66).u(8, 0xC0).u(8, 10).ue(0).ue(0).ue(2).ue(1).u(1, 0) \
        .ue(0).ue(0).u(1, 1).u(1, 1).u(1, 0).u(1, 0).rbsp()
    pps = bytes([0x68]) + _Bits().ue(0).ue(0).u(1, 0).u(1, 0).ue(0).ue(0).ue(0).u(1, 0).u(2, 0) \
        .se(0).se(0).se(0).u(1, 1).u(1, 0).u(1, 0).rbsp()
    idr = bytes([0x65]) + _Bits().ue(0).ue(7).ue(0).u(4, 0).ue(0).u(1, 0).u(1, 0).se(0).ue(1) \
        .ue(25).align_zero().raw(bytes([128]) * 384).rbsp()
    samples = [idr]
    for n in range(1, count):
        samples.append(bytes([0x41]) + _Bits().ue(0).ue(5).ue(0).u(4, n % 16).u(1, 0).u(1, 0).u(1, 0).se(0)
                       .ue(1).ue(1).rbsp())
    return sps, pps, [len(s).to_bytes(4, "big") + s for s in samples]


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def _full(kind: bytes, version_flags: int, *parts: bytes) -> bytes:
    return _box(kind, version_flags.to_bytes(4, "big"), *parts)


def _u32(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "big") for v in values)


def mp4_video(seconds: int, fps: int = 10) -> bytes:
    """A playable MP4 of SECONDS seconds: one H.264 video track (16x16, FPS pictures a second), in an
    ISO BMFF file with its index (moov) before the data, as a web server would serve a lecture."""
    sps, pps, samples = _h264_frames(seconds * fps)
    count, timescale = len(samples), fps * 100
    duration = count * 100
    matrix = _u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    avcc = _box(b"avcC", bytes([1, 66, 0xC0, 10, 0xFF, 0xE1]), len(sps).to_bytes(2, "big"), sps,
                bytes([1]), len(pps).to_bytes(2, "big"), pps)
    avc1 = _box(b"avc1", bytes(6), (1).to_bytes(2, "big"), bytes(16), (16).to_bytes(2, "big"),
                (16).to_bytes(2, "big"), _u32(0x480000, 0x480000, 0), (1).to_bytes(2, "big"), bytes(32),
                (0x18).to_bytes(2, "big"), (0xFFFF).to_bytes(2, "big"), avcc)

    def moov(chunk_offset: int) -> bytes:
        stbl = _box(b"stbl",
                    _full(b"stsd", 0, _u32(1), avc1),
                    _full(b"stts", 0, _u32(1, count, 100)),
                    _full(b"stss", 0, _u32(1, 1)),
                    _full(b"stsc", 0, _u32(1, 1, count, 1)),
                    _full(b"stsz", 0, _u32(0, count), *(_u32(len(s)) for s in samples)),
                    _full(b"stco", 0, _u32(1, chunk_offset)))
        minf = _box(b"minf", _full(b"vmhd", 1, bytes(8)),
                    _box(b"dinf", _full(b"dref", 0, _u32(1), _full(b"url ", 1))), stbl)
        mdia = _box(b"mdia", _full(b"mdhd", 0, _u32(0, 0, timescale, duration), bytes([0x55, 0xC4, 0, 0])),
                    _full(b"hdlr", 0, _u32(0), b"vide", bytes(12), b"Video\x00"), minf)
        tkhd = _full(b"tkhd", 3, _u32(0, 0, 1, 0, duration), bytes(8), bytes(4), bytes(4), matrix,
                     _u32(16 << 16, 16 << 16))
        mvhd = _full(b"mvhd", 0, _u32(0, 0, timescale, duration, 0x10000), (0x100).to_bytes(2, "big"), bytes(10),
                     matrix, bytes(24), _u32(2))
        return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))

    ftyp = _box(b"ftyp", b"isom", _u32(0x200), b"isomiso2avc1mp41")
    size = len(moov(0))
    mdat = _box(b"mdat", *samples)
    return ftyp + moov(len(ftyp) + size + 8) + mdat
