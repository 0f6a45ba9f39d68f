"""What is checked and cleaned before a web page is parsed: its encoding, its entities, the size of its tree.

A page nested 100,000 levels deep took hours to parse and walk; an entity the page never defines
(&xxe;) cut off the rest of its paragraph. Both are settled here, on the markup, before BeautifulSoup."""

from __future__ import annotations

import re
from html.entities import html5 as _HTML5_ENTITIES

from lxml import etree

from commitments.engine.ingest.readers.base import ReadLimits, ReportReadError
from commitments.engine.ingest.readers.encoding import Decoded, bom_encoding, decode_bytes, decode_declared

DECLARED_MISMATCH = "网页声明的编码 {declared} 与内容不符，已按 {encoding} 读取"


_SAVE_OTHERWISE = "，网页可能已损坏或是恶意构造的。请在浏览器中打开它，把正文另存为 PDF 或复制到 .txt 文件后导入"


TOO_DEEP = "网页的标签嵌套超过了 {limit} 层的上限" + _SAVE_OTHERWISE


TOO_MANY_NODES = "网页的标签超过了 {limit:,} 个的上限" + _SAVE_OTHERWISE


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode_page(data: bytes) -> Decoded:
    if bom_encoding(data):
        return decode_bytes(data)
    head = data[:8192]
    match = _CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return decode_bytes(data)
    declared = match.group(1).decode("ascii", "replace")
    decoded = decode_declared(data, declared)
    if decoded is not None:
        return decoded
    detected = decode_bytes(data)
    if data.isascii() or declared.lower().replace("-", "") in {"iso88591", "windows1252", "ascii", "usascii"}:
        return detected
    warning = DECLARED_MISMATCH.format(declared=declared, encoding=detected.encoding)
    return Decoded(detected.text, detected.encoding, (*detected.warnings, warning), detected.undecodable)


# "&name;" that HTML does not define: an XML entity, declared in the page or not. lxml's HTML parser
# keeps it as text; it is dropped, the text around it kept ("一是落实&xxe;政策。" → "一是落实政策。").
_ENTITY_REF = re.compile(r"&([A-Za-z][A-Za-z0-9._-]{0,63});")


# A DOCTYPE with an internal subset (entity declarations): the HTML parser ends it at its first ">"
# and keeps the rest ("]>") as text. Entities are never expanded, so billion laughs cost nothing.
_INTERNAL_SUBSET = re.compile(r"<!DOCTYPE[^\[>]*\[[^\]]*\]\s*>", re.IGNORECASE)


# Markup a web page starts with; bytes named .html without any are checked as text is.
MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|meta|title|div|p|table|span|br|h[1-6]|a|script|style|\?xml)[\s>/]",
    re.IGNORECASE,
)


def without_xml_entities(markup: str) -> str:
    markup = _INTERNAL_SUBSET.sub("<!DOCTYPE html>", markup, count=1)
    return _ENTITY_REF.sub(lambda ref: ref.group(0) if ref.group(1) + ";" in _HTML5_ENTITIES else "", markup)


class _TreeCounter:
    """An lxml parser target that only counts elements and nesting: the same parse BeautifulSoup's
    tree builder receives, without building anything, so that a page of 100,000 nested <div>s is
    refused in a tenth of a second instead of being built and walked."""

    def __init__(self, limits: ReadLimits):
        self.limits = limits
        self.depth = 0
        self.nodes = 0

    def start(self, tag, attrib) -> None:
        self.depth += 1
        self.nodes += 1
        if self.depth > self.limits.html_max_depth:
            raise ReportReadError(TOO_DEEP.format(limit=self.limits.html_max_depth))
        if self.nodes > self.limits.html_max_nodes:
            raise ReportReadError(TOO_MANY_NODES.format(limit=self.limits.html_max_nodes))

    def end(self, tag) -> None:
        self.depth -= 1

    def close(self) -> None:
        return None


def check_tree(markup: str, limits: ReadLimits) -> None:
    parser = etree.HTMLParser(target=_TreeCounter(limits))
    try:
        parser.feed(markup)
        parser.close()
    except etree.LxmlError:
        pass  # what lxml cannot parse, BeautifulSoup's own call reports
