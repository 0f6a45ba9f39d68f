"""Word 97-2003 (.doc) and WPS (.wps) reports: the main text, through the document's piece table.

Government sites still publish many reports as .doc attachments. The text is retrieved as [MS-DOC]
2.4.1 describes: the File Information Block gives the piece table (in the table stream) and the
length of the main text; each piece is either 8-bit (cp1252) or UTF-16 (all Chinese text). olefile
opens the compound file. Headers, footers, footnotes and comments follow the main text in the
document and are left out, as for .docx; text deleted in tracked changes is left out too.
"""

from __future__ import annotations

import io
import re
import struct

import olefile

from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, ReportReadError, build_result

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EMPTY = "Word 文档中没有文字内容"
NOT_OLE = "不是有效的 Word 97-2003 (.doc) 文件：文件头不对，可能已损坏或只是改了扩展名"
NOT_WORD = "这是 Office 复合文档，但其中没有 Word 正文（可能是 Excel、PowerPoint 或旧版 WPS 文件）：请另存为 .docx 或 PDF 后再导入"
OLD_WORD = "这是 Word 95 或更早版本的文档，无法直接读取：请在 Word 或 WPS 中另存为 .docx 或 PDF 后再导入"
ENCRYPTED = "Word 文档已加密，需要密码才能读取：请导入未加密的版本"
BROKEN = "Word (.doc) 文件已损坏，无法读取：{detail}"

_WORD_97_IDENT = 0xA5EC
_MIN_NFIB = 0xC0  # Word 97 and later; Word 6 and 95 wrote 101-104 and another FIB layout
_F_ENCRYPTED = 0x0100
_F_WHICH_TABLE = 0x0200
_CLX_INDEX = 33  # fcClx/lcbClx in FibRgFcLcb97
_CCP_TEXT_INDEX = 3  # ccpText in FibRgLw97
_COMPRESSED = 0x40000000
_CHPX_INDEX = 12  # fcPlcfBteChpx/lcbPlcfBteChpx in FibRgFcLcb97: where character properties are
_PAPX_INDEX = 13  # fcPlcfBtePapx/lcbPlcfBtePapx: where paragraph properties are
_SPRM_ROW_END = {0x2417, 0x244C}  # sprmPFTtp, sprmPFInnerTtp: the paragraph mark ends a table row
_SPRM_TABLE_DEFINITION = 0xD608  # sprmTDefTable: a 2-byte size, unlike other variable-length sprms
_SPRM_HUGE_PAPX = {0x6646, 0x6645}  # sprmPHugePapx (and its Word 97 form): properties in the Data stream
_PAGE = 512  # formatted disk pages of properties
_SPRM_DELETED = 0x0800  # sprmCFRMarkDel
_OPERAND_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}  # by the sprm's spra bits; 6 is variable

# Word's control characters in the text stream.
_PARAGRAPH = "\r\x0b\x0c"  # paragraph end, line break, page/section break
# A table cell ends with \x07 and a row with one more, whose paragraph properties mark it as the
# row's end: a row is read as one line of tab-separated cells, as from a .docx.
_CELL_END, _ROW_END_MARK = "\x07", "\x00"  # the row ends are told apart while the text is read
_DROPPED = dict.fromkeys(map(ord, "\x01\x02\x03\x04\x05\x08\x1f"), None) | {0x1E: "-", 0xA0: " "}
_FIELD_BEGIN, _FIELD_SEPARATOR, _FIELD_END = "\x13", "\x14", "\x15"


class DocReader:
    format = "doc"
    extensions = (".doc", ".wps", ".dot")

    def sniff(self, data: bytes) -> bool:
        return data.startswith(OLE_MAGIC)

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        if not data.startswith(OLE_MAGIC):
            raise ReportReadError(NOT_OLE)
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                if not ole.exists("WordDocument"):
                    raise ReportReadError(NOT_WORD)
                word = ole.openstream("WordDocument").read()
                text = _main_text(ole, word)
                title = _title(ole)
        except ReportReadError:
            raise
        except (OSError, ValueError, struct.error, IndexError) as error:
            # olefile reports a damaged container as OSError/ValueError; a damaged FIB or piece
            # table as struct/index errors.
            raise ReportReadError(BROKEN.format(detail=f"{type(error).__name__}: {str(error)[:100]}")) from error
        return build_result(_clean(text), format=self.format, title=title, empty_reason=EMPTY, limits=limits)


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from("<H", data, offset)[0]


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def _main_text(ole: olefile.OleFileIO, word: bytes) -> str:
    if len(word) < 0x22 or _u16(word, 0) != _WORD_97_IDENT:
        raise ReportReadError(OLD_WORD if len(word) >= 4 and _u16(word, 2) < _MIN_NFIB else NOT_WORD)
    if _u16(word, 2) < _MIN_NFIB:
        raise ReportReadError(OLD_WORD)
    flags = _u16(word, 0x0A)
    if flags & _F_ENCRYPTED:
        raise ReportReadError(ENCRYPTED)
    # FibBase (32 bytes), then three arrays each preceded by its count: fibRgW, fibRgLw, fibRgFcLcb.
    position = 32
    position += 2 + 2 * _u16(word, position)
    lw_count = _u16(word, position)
    ccp_text = _u32(word, position + 2 + 4 * _CCP_TEXT_INDEX)
    position += 2 + 4 * lw_count
    fc_lcb = position + 2
    fc_clx = _u32(word, fc_lcb + 8 * _CLX_INDEX)
    lcb_clx = _u32(word, fc_lcb + 8 * _CLX_INDEX + 4)
    table_name = "1Table" if flags & _F_WHICH_TABLE else "0Table"
    if not ole.exists(table_name):
        raise ReportReadError(BROKEN.format(detail=f"缺少 {table_name} 流"))
    table = ole.openstream(table_name).read()
    clx = table[fc_clx : fc_clx + lcb_clx]
    deleted = _deleted_spans(word, table, fc_lcb)
    data = ole.openstream("Data").read() if ole.exists("Data") else b""
    row_ends = _row_ends(word, table, fc_lcb, data)
    pieces = []
    for cp_start, cp_end, fc in _piece_table(clx):
        cp_end = min(cp_end, ccp_text)
        if cp_end <= cp_start:
            continue
        count = cp_end - cp_start
        compressed = bool(fc & _COMPRESSED)
        start = (fc & ~_COMPRESSED) // 2 if compressed else fc
        width = 1 if compressed else 2
        for kept_start, kept_end in _kept(start, start + width * count, deleted):
            if compressed:
                piece = word[kept_start:kept_end].decode("cp1252", errors="replace")
            else:
                kept_end -= (kept_end - kept_start) % 2
                piece = word[kept_start:kept_end].decode("utf-16-le", errors="replace")
            if _CELL_END in piece and row_ends:
                piece = _mark_row_ends(piece, kept_start, width, row_ends)
            pieces.append(piece)
    text = "".join(pieces)
    if not row_ends:  # no paragraph properties to tell them: a row's end mark follows its last cell's
        text = text.replace(_CELL_END * 2, _CELL_END + _ROW_END_MARK)
    return text


def _mark_row_ends(piece: str, start: int, width: int, row_ends: set[int]) -> str:
    """A \x07 whose paragraph ends right after it (the file offset past it ends a row's run)."""
    chars = list(piece)
    for index, ch in enumerate(chars):
        if ch == _CELL_END and start + width * (index + 1) in row_ends:
            chars[index] = _ROW_END_MARK
    return "".join(chars)


def _row_ends(word: bytes, table: bytes, fc_lcb: int, data: bytes = b"") -> set[int]:
    """File offsets just past the paragraph marks that end table rows (sprmPFTtp in their paragraph
    properties). A row ends with one \x07 more than its cells; telling it by position alone breaks
    rows at every empty cell."""
    ends: set[int] = set()
    for page, runs, bounds in _property_pages(word, table, fc_lcb, _PAPX_INDEX, run_size=13):
        for k in range(runs):
            offset = 2 * page[4 * (runs + 1) + 13 * k]  # BxPap: a word offset, then 12 bytes of PHE
            if offset and _ends_row(_papx_properties(page, offset), data):
                ends.add(bounds[k + 1])
    return ends


def _papx_properties(page: bytes, offset: int) -> bytes:
    """The sprms of a PapxInFkp, after its style index."""
    size = page[offset]
    if size == 0:  # a zero count is followed by the real count of words
        grpprl = page[offset + 2 : offset + 2 + 2 * page[offset + 1]]
    else:
        grpprl = page[offset + 1 : offset + 1 + 2 * size - 1]
    return grpprl[2:]


def _ends_row(properties: bytes, data: bytes, depth: int = 0) -> bool:
    position = 0
    while position + 2 <= len(properties):
        sprm = _u16(properties, position)
        position += 2
        operand = _OPERAND_SIZE.get(sprm >> 13)
        if sprm == _SPRM_TABLE_DEFINITION:
            if position + 2 > len(properties):
                break
            operand = 2 + _u16(properties, position) - 1
        elif operand is None:
            if position >= len(properties):
                break
            operand = 1 + properties[position]
        if sprm in _SPRM_ROW_END:
            return position < len(properties) and properties[position] == 1
        if sprm in _SPRM_HUGE_PAPX and not depth and position + 4 <= len(properties):
            # A wide row's properties do not fit the page: they are in the Data stream, after a size.
            at = _u32(properties, position)
            if at + 2 <= len(data) and _ends_row(data[at + 2 : at + 2 + _u16(data, at)], data, depth=1):
                return True
        position += operand
    return False


def _property_pages(word: bytes, table: bytes, fc_lcb: int, index: int, run_size: int = 1):
    """(page, runs, run bounds) of each formatted disk page of a PlcBte: character properties
    (one offset byte a run) or paragraph properties (13 bytes a run)."""
    fc = _u32(word, fc_lcb + 8 * index)
    lcb = _u32(word, fc_lcb + 8 * index + 4)
    plc = table[fc : fc + lcb]
    count = (len(plc) - 4) // 8
    for i in range(max(count, 0)):
        page_number = _u32(plc, 4 * (count + 1) + 4 * i) & 0x3FFFFF
        page = word[page_number * _PAGE : (page_number + 1) * _PAGE]
        if len(page) < _PAGE:
            continue
        runs = page[_PAGE - 1]
        if 4 * (runs + 1) + run_size * runs > _PAGE - 1:
            continue
        yield page, runs, struct.unpack_from(f"<{runs + 1}I", page, 0)


def _deleted_spans(word: bytes, table: bytes, fc_lcb: int) -> list[tuple[int, int]]:
    """File offsets of text marked deleted in tracked changes (sprmCFRMarkDel in its character
    properties): Word keeps deleted text in the stream, and "建成20个30个" would read as both figures."""
    spans: list[tuple[int, int]] = []
    for page, runs, bounds in _property_pages(word, table, fc_lcb, _CHPX_INDEX):
        for k in range(runs):
            offset = 2 * page[4 * (runs + 1) + k]
            if offset and _marked_deleted(page, offset):
                spans.append((bounds[k], bounds[k + 1]))
    return sorted(spans)


def _marked_deleted(page: bytes, offset: int) -> bool:
    size = page[offset]
    properties = page[offset + 1 : offset + 1 + size]
    position = 0
    while position + 2 <= len(properties):
        sprm = _u16(properties, position)
        position += 2
        operand = _OPERAND_SIZE.get(sprm >> 13)
        if operand is None:  # variable length: a size byte first
            if position >= len(properties):
                break
            operand = 1 + properties[position]
        if sprm == _SPRM_DELETED:
            return position < len(properties) and properties[position] == 1
        position += operand
    return False


def _kept(start: int, end: int, deleted: list[tuple[int, int]]):
    """The parts of [start, end) outside the deleted spans."""
    for deleted_start, deleted_end in deleted:
        if deleted_end <= start or deleted_start >= end:
            continue
        if deleted_start > start:
            yield start, deleted_start
        start = max(start, deleted_end)
        if start >= end:
            return
    if start < end:
        yield start, end


def _piece_table(clx: bytes) -> list[tuple[int, int, int]]:
    """(first character, end character, file offset with its compression bit) of each piece."""
    position = 0
    while position < len(clx) and clx[position] == 0x01:  # Prc: formatting, skipped
        position += 3 + _u16(clx, position + 1)
    if position >= len(clx) or clx[position] != 0x02:
        raise ReportReadError(BROKEN.format(detail="找不到文字片段表"))
    size = _u32(clx, position + 1)
    plc = clx[position + 5 : position + 5 + size]
    count = (len(plc) - 4) // 12
    if count <= 0:
        return []
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    descriptors = 4 * (count + 1)
    return [(cps[i], cps[i + 1], _u32(plc, descriptors + 8 * i + 2)) for i in range(count)]


def _without_field_codes(text: str) -> str:
    """A field shows its result (between separator and end), never its code ("PAGE", "HYPERLINK …")."""
    if _FIELD_BEGIN not in text:
        return text
    out, in_code = [], []  # in_code: one flag per open field, True while its code is being read
    for ch in text:
        if ch == _FIELD_BEGIN:
            in_code.append(True)
        elif ch == _FIELD_SEPARATOR and in_code:
            in_code[-1] = False
        elif ch == _FIELD_END and in_code:
            in_code.pop()
        elif not any(in_code):
            out.append(ch)
    return "".join(out)


def _clean(text: str) -> str:
    text = _without_field_codes(text).translate(_DROPPED)
    # The last cell's end mark comes right before the row's: "a\x07b\x07<row end>" is "a\tb".
    text = text.replace(_CELL_END + _ROW_END_MARK, "\n").replace(_ROW_END_MARK, "\n")
    text = text.replace(_CELL_END, "\t")
    return re.sub(f"[{_PARAGRAPH}]", "\n", text)


_SUMMARY = "\x05SummaryInformation"
_PID_CODEPAGE, _PID_TITLE = 1, 2
_VT_I2, _VT_LPSTR, _VT_LPWSTR = 0x02, 0x1E, 0x1F
_MAX_PROPERTIES = 64


def _title(ole: olefile.OleFileIO) -> str:
    """The title in the document's summary. Read here with bounds: olefile's metadata parser loops
    for minutes on some damaged summaries, and the title is only a hint."""
    if not ole.exists(_SUMMARY):
        return ""
    try:
        summary = ole.openstream(_SUMMARY).read()
        start = _u32(summary, 44)  # the first property set, after the header and its FMTID
        count = min(_u32(summary, start + 4), _MAX_PROPERTIES)
        values = {}
        for i in range(count):
            pid, offset = struct.unpack_from("<II", summary, start + 8 + 8 * i)
            if pid in (_PID_CODEPAGE, _PID_TITLE):
                values[pid] = start + offset
        if _PID_TITLE not in values:
            return ""
        codepage = 0
        if _PID_CODEPAGE in values and _u32(summary, values[_PID_CODEPAGE]) == _VT_I2:
            codepage = _u16(summary, values[_PID_CODEPAGE] + 4)
        kind, size = struct.unpack_from("<II", summary, values[_PID_TITLE])
        raw = summary[values[_PID_TITLE] + 8 : values[_PID_TITLE] + 8 + min(size * 2, 2000)]
    except (OSError, ValueError, struct.error):
        return ""
    if kind == _VT_LPWSTR:
        return raw[: 2 * size].decode("utf-16-le", errors="ignore").strip("\x00 ")
    if kind != _VT_LPSTR:
        return ""
    raw = raw[:size]
    encodings = ["utf-8" if codepage == 65001 else f"cp{codepage}"] if codepage else []
    for encoding in (*encodings, "utf-8", "gb18030"):
        try:
            return raw.decode(encoding).strip("\x00 ")
        except (LookupError, UnicodeDecodeError):
            continue
    return ""
