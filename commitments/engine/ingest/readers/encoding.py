"""Where the character encoding of a text or web page is decided.

Strict decodes come first (UTF-8, then GB18030), because a lenient guess silently turns a report
into mojibake that every later step would trust. Government files also mix encodings (a UTF-8
paragraph pasted into a GBK file), so when the whole file does not decode one way, every line
is decided on its own.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

MIXED_WARNING = "文件中混有 UTF-8 和 GBK/GB18030 编码的行（{gb} 行按 GBK 解码，{utf8} 行按 UTF-8 解码），已逐行识别"
UNDECODABLE_WARNING = "有 {count} 处无法识别的字节，已删除"
GUESSED_WARNING = "文件编码不是 UTF-8 或 GBK，按自动识别的编码 {encoding} 读取，请核对文字是否正确"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_PUBLIC_NAMES = {"utf-8-sig": "utf-8", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}

# Characters a Chinese report is made of; mojibake brings kana, Cyrillic, box drawing, private use.
_PLAUSIBLE = re.compile(
    r"[\x09\x0a\x0d\x20-\x7e\u00b7\u00d7\u2000-\u206f\u2150-\u218f\u2460-\u24ff\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
)
# UTF-16 without a BOM: NULs at one parity in at least 1% of the byte pairs, and a plausible text.
_UTF16_SAMPLE_BYTES = 65536
_UTF16_MIN_NULS = 4
_UTF16_MIN_NUL_SHARE = 0.01
_UTF16_ASCII_NUL_SHARE = 0.3  # English in UTF-16 has a NUL in every pair
_UTF16_MIN_PLAUSIBLE = 0.9
# What a GBK line looks like when it happens to be valid UTF-8: two-byte sequences only.
_TWO_BYTE_UTF8 = re.compile(r"[\u0080-\u07ff]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    warnings: tuple[str, ...] = ()
    undecodable: int = 0  # bytes that no candidate encoding could read (dropped from `text`)


def plausibility(text: str) -> float:
    """Share of characters that belong in a Chinese report; low for mojibake and binary junk."""
    sample = text[:100_000]
    if not sample:
        return 1.0
    return len(_PLAUSIBLE.findall(sample)) / len(sample)


def bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def looks_like_bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for UTF-16 text without a BOM: NUL bytes, and text that reads.

    UTF-8 and GBK text has no NUL byte; UTF-16 has one in every line end, digit and ASCII letter,
    and in characters such as 一 (U+4E00): in Chinese reports at 1-16% of the byte pairs, more at
    the high byte's parity but not always by much. So the NULs only say "maybe UTF-16"; the byte
    order that decodes into a plausible report decides (the wrong one reads as 0-40% plausible).
    """
    sample = data[:_UTF16_SAMPLE_BYTES]
    pairs = len(sample) // 2
    nuls = max(sample[0::2].count(0), sample[1::2].count(0))
    if pairs < 4 or nuls < max(_UTF16_MIN_NULS, pairs * _UTF16_MIN_NUL_SHARE):
        return None
    if nuls < pairs * _UTF16_ASCII_NUL_SHARE and sample.replace(b"\x00", b"").isascii():
        return None  # ASCII with a few NULs in it; Chinese UTF-16 has bytes above 0x7F
    scores = {
        encoding: plausibility(sample[: 2 * pairs].decode(encoding, errors="replace"))
        for encoding in ("utf-16-le", "utf-16-be")
    }
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] > _UTF16_MIN_PLAUSIBLE else None


def decode_bytes(data: bytes) -> Decoded:
    """Decode a text file: BOM, then strict UTF-8, then line by line UTF-8/GB18030, then guesses."""
    encoding = bom_encoding(data)
    if encoding:
        return _decode_lenient(data, encoding)
    utf16 = looks_like_bomless_utf16(data)
    if utf16:
        return _decode_lenient(data, utf16)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    decoded = _decode_lines(data)
    if decoded.undecodable or (decoded.encoding == "gb18030" and plausibility(decoded.text) < 0.9):
        return _better_guess(data, decoded)
    return decoded


def decode_declared(data: bytes, declared: str) -> Decoded | None:
    """Decode with a charset the file declares (an HTML meta tag), if that holds strictly."""
    encoding = normalize_codec_name(declared)
    if not encoding or encoding in {"latin-1", "cp1252", "ascii"}:
        # Chinese pages mislabelled as Latin-1 are common; detection is more trustworthy.
        return None
    try:
        return Decoded(data.decode(encoding), _PUBLIC_NAMES.get(encoding, encoding))
    except (UnicodeDecodeError, LookupError):
        return None


def normalize_codec_name(name: str) -> str:
    """Python's name for a declared charset; GB2312/GBK widen to GB18030, their superset."""
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return ""
    if codec in {"gb2312", "gbk", "gb18030", "hz"}:
        return "gb18030"
    if codec in {"big5", "cp950"}:
        return "big5hkscs"
    if codec == "iso8859-1":
        return "latin-1"
    return codec


def _decode_lenient(data: bytes, encoding: str) -> Decoded:
    text = data.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    warnings = (UNDECODABLE_WARNING.format(count=bad),) if bad else ()
    return Decoded(text.replace("\ufffd", ""), _PUBLIC_NAMES.get(encoding, encoding), warnings, bad)


def _strict(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _gb2312_share(text: str) -> float:
    """Share of non-ASCII characters that are in GB2312, the set everyday simplified text uses."""
    chars = [ch for ch in text if ord(ch) > 0x7F]
    if not chars:
        return 1.0
    common = 0
    for ch in chars:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(chars)


def _decode_line(raw: bytes) -> tuple[str, str]:
    """(text, 'ascii' | 'utf-8' | 'gb18030' | 'bad') for one line."""
    if raw.isascii():
        return raw.decode("ascii"), "ascii"
    as_utf8 = _strict(raw, "utf-8")
    if as_utf8 is not None and not _TWO_BYTE_UTF8.search(as_utf8):
        return as_utf8, "utf-8"
    as_gb = _strict(raw, "gb18030")
    if as_utf8 is not None and (as_gb is None or _gb2312_share(as_utf8) >= _gb2312_share(as_gb)):
        return as_utf8, "utf-8"
    if as_gb is not None:
        return as_gb, "gb18030"
    lenient = [raw.decode(encoding, errors="replace") for encoding in ("utf-8", "gb18030")]
    return min(lenient, key=lambda text: text.count("\ufffd")), "bad"


def _decode_lines(data: bytes) -> Decoded:
    # b"\n" never occurs inside a multi-byte UTF-8 or GB18030 character, so splitting is safe.
    lines = []
    counts = {"ascii": 0, "utf-8": 0, "gb18030": 0, "bad": 0}
    for raw in data.split(b"\n"):
        text, kind = _decode_line(raw)
        lines.append(text)
        counts[kind] += 1
    text = "\n".join(lines)
    bad = text.count("\ufffd")
    warnings = []
    if counts["utf-8"] and counts["gb18030"]:
        encoding = "utf-8+gb18030"
        warnings.append(MIXED_WARNING.format(gb=counts["gb18030"], utf8=counts["utf-8"]))
    elif counts["utf-8"] and not counts["gb18030"]:
        encoding = "utf-8"
    else:
        encoding = "gb18030"
    if bad:
        warnings.append(UNDECODABLE_WARNING.format(count=bad))
    return Decoded(text.replace("\ufffd", ""), encoding, tuple(warnings), bad)


def _better_guess(data: bytes, decoded: Decoded) -> Decoded:
    """Big5 or charset-normalizer's pick, when it reads clearly better than the GB18030 attempt."""
    best = decoded
    best_score = plausibility(decoded.text) - decoded.undecodable / max(len(decoded.text), 1)
    candidates = []
    big5 = _strict(data, "big5hkscs")
    if big5 is not None:
        candidates.append((big5, "big5hkscs"))
    if decoded.undecodable:
        try:
            from charset_normalizer import from_bytes

            match = from_bytes(data[:1_000_000]).best()
        except Exception:  # noqa: BLE001 - a failed guess just leaves the first reading in place
            match = None
        if match is not None and match.encoding not in {"utf_8", "gb18030"}:
            guessed = _strict(data, match.encoding)
            if guessed is not None:
                candidates.append((guessed, codecs.lookup(match.encoding).name))
    for text, encoding in candidates:
        score = plausibility(text)
        if score > best_score + 0.05:
            best = Decoded(text, encoding, (GUESSED_WARNING.format(encoding=encoding),))
            best_score = score
    return best
