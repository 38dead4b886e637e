"""Text of a PDF made by fpdf2, without a PDF library (none is in the venv): the content streams'
string operands are glyph ids of the embedded subset font, mapped back to characters through the
font's ToUnicode CMap. One line per text-showing operator, in drawing order."""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_FONTS = re.compile(rb"/Font\s*<<(.*?)>>", re.S)
_FONT_REF = re.compile(rb"/([\w.+-]+)\s+(\d+) 0 R")
_TO_UNICODE = re.compile(rb"/ToUnicode\s+(\d+) 0 R")
_TF = re.compile(rb"/([\w.+-]+)\s+[\d.]+\s+Tf")
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number → (dictionary part, decoded stream or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for num, body in _OBJECT.findall(pdf):
        match = _STREAM.search(body)
        stream = None
        if match:
            stream = match.group(1)
            # The declared length, where it is a direct number: compressed data may itself end in
            # a carriage return, which the pattern's optional "\r" before "endstream" would eat.
            length = _LENGTH.search(body[: match.start()])
            if length:
                start = match.start(1)
                stream = body[start : start + int(length.group(1))]
            if b"/FlateDecode" in body[: match.start()]:
                try:
                    stream = zlib.decompress(stream)
                except zlib.error:
                    stream = None
        out[int(num)] = (body[: match.start()] if match else body, stream)
    return out


def _utf16(hex_text: bytes) -> str:
    return bytes.fromhex(hex_text.decode()).decode("utf-16-be")


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(stream):
        values = _HEX.findall(block)
        for src, dst in zip(values[::2], values[1::2], strict=True):
            mapping[int(src, 16)] = _utf16(dst)
    for block in _BFRANGE.findall(stream):
        for line in block.strip().splitlines():
            values = _HEX.findall(line)
            if len(values) < 3:
                continue
            low, high = int(values[0], 16), int(values[1], 16)
            if b"[" in line:
                for offset, dst in enumerate(values[2:]):
                    mapping[low + offset] = _utf16(dst)
            else:
                start = int(values[2], 16)
                for code in range(low, high + 1):
                    mapping[code] = chr(start + code - low)
    return mapping


def _literal(stream: bytes, i: int) -> tuple[bytes, int]:
    """The literal string starting at ``stream[i] == "("`` with the PDF escapes undone; the end."""
    depth, i, buf, n = 1, i + 1, bytearray(), len(stream)
    while i < n and depth:
        c = stream[i : i + 1]
        if c == b"\\":
            nxt = stream[i + 1 : i + 2]
            if nxt in _ESCAPES:
                buf += _ESCAPES[nxt]
                i += 2
            elif nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", stream[i + 1 : i + 4]).group()
                buf.append(int(digits, 8))
                i += 1 + len(digits)
            else:
                buf += nxt
                i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if not depth:
                return bytes(buf), i + 1
        buf += c
        i += 1
    return bytes(buf), i


def pdf_lines(pdf: bytes) -> list[str]:
    """Each string shown by a text operator, decoded with the CMap of the font selected by the
    last ``Tf`` (regular and bold are separate subsets with their own glyph ids)."""
    objects = _objects(pdf)
    fonts: dict[bytes, dict[int, str]] = {}
    for head, _stream in objects.values():
        for block in _FONTS.findall(head):
            for name, num in _FONT_REF.findall(block):
                ref = _TO_UNICODE.search(objects.get(int(num), (b"", None))[0])
                cmap_stream = objects.get(int(ref.group(1)), (b"", None))[1] if ref else None
                fonts[name] = _cmap(cmap_stream or b"")
    lines: list[str] = []
    for head, stream in objects.values():
        if not stream or b"BT" not in stream or b"begincmap" in stream or b"/Length1" in head:
            continue
        cmap: dict[int, str] = {}
        i, n = 0, len(stream)
        while i < n:
            if stream[i : i + 1] == b"(":
                raw, i = _literal(stream, i)
                codes = [int.from_bytes(raw[k : k + 2], "big") for k in range(0, len(raw) - 1, 2)]
                lines.append("".join(cmap.get(code, "\ufffd") for code in codes))
                continue
            if stream[i : i + 1] == b"/":
                match = _TF.match(stream, i)
                if match:
                    cmap = fonts.get(match.group(1), {})
                    i = match.end()
                    continue
            i += 1
    return lines


def pdf_text(pdf: bytes) -> str:
    """The whole text with every run of white space (line breaks of wrapped or justified lines,
    table cells, no-break spaces) as one space: what a reader reads, for searching."""
    return re.sub(r"\s+", " ", "\n".join(pdf_lines(pdf))).strip()
