"""Web pages saved from government sites: the article without the site around it.

Government CMS pages (TRS, Hanweb, ...) wrap a report in navigation, breadcrumbs, share widgets
and footers. Page furniture is removed by tag and by id/class name, then the main block is found
the readability way: descend from <body> while one child still holds nearly all the prose. Prose
(sentences outside links) is what is counted, so sidebars, link lists and footers weigh nothing.

A page is refused before its tree is built when it nests deeper or holds more elements than the
read limits allow, and every walk over the tree is linear, however deep it nests.
"""

from __future__ import annotations

import datetime
import re
from html.entities import html5 as _HTML5_ENTITIES

from bs4 import (
    BeautifulSoup,
    CData,
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    PageElement,
    ProcessingInstruction,
    Tag,
)
from lxml import etree

from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, ReportReadError, build_result
from commitments.engine.ingest.readers.encoding import Decoded, bom_encoding, decode_bytes, decode_declared
from commitments.engine.ingest.readers.metadata import find_labelled_date, parse_date, strip_site_suffix
from commitments.engine.ingest.readers.sniffing import refuse_binary, refuse_undecodable

EMPTY = "网页中没有找到正文文字"
PAGED = "网页正文分 {total} 页显示，这里只读到第 {current} 页：请把各页都导入，或导入完整的附件（PDF/Word）"
PAGED_UNKNOWN = "网页正文分页显示（有“下一页”），这里只读到其中一页：请把各页都导入，或导入完整的附件（PDF/Word）"
DECLARED_MISMATCH = "网页声明的编码 {declared} 与内容不符，已按 {encoding} 读取"
_SAVE_OTHERWISE = "，网页可能已损坏或是恶意构造的。请在浏览器中打开它，把正文另存为 PDF 或复制到 .txt 文件后导入"
TOO_DEEP = "网页的标签嵌套超过了 {limit} 层的上限" + _SAVE_OTHERWISE
TOO_MANY_NODES = "网页的标签超过了 {limit:,} 个的上限" + _SAVE_OTHERWISE

# Never content.
_ALWAYS_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "object",
    "embed",
    "iframe",
    "link",
    "meta",
    "button",
    "select",
    "input",
    "textarea",
    "map",
)
# Usually furniture, but some sites wrap the whole page in them (ASP.NET's <form>), hence guarded.
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form")
_FURNITURE_NAME = re.compile(
    r"nav|menu|foot|header|share|crumb|sidebar|side-bar|toolbar|login|logon|分享|copyright|banner|search"
    r"|position|location|dqwz|weizhi|qrcode|erweima|ewm|print|related|xgwz|xgxx|comment|advert|social"
    r"|topbar|bottom|links|yqlj|skip|wza|accessib|tool",
    re.IGNORECASE,
)
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# A furniture-looking element with this much prose is kept: it is probably the article itself.
_GUARD_PROSE_CHARS = 200

# Containers the main-block search may descend into; paragraphs and headings are leaves.
_CONTAINERS = {
    "body",
    "div",
    "section",
    "article",
    "main",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "center",
    "form",
    "font",
    "span",
    "blockquote",
}
_DESCEND_SHARE = 0.9

_BLOCKS = {
    "address",
    "article",
    "blockquote",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "title",
    "tr",
    "ul",
}
_CELLS = {"td", "th"}

# Strings that are markup, not text (BeautifulSoup keeps them in the tree).
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_PUNCT = re.compile(r"[，。；：！？、,;]")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")

# Widgets that survive as text ("分享到：", "【打印】【关闭】", "扫一扫在手机打开当前页面").
_WIDGET = re.compile(
    r"【\s*(?:打印|关闭|关闭窗口|打印本页|打印此页|收藏|纠错|返回顶部|分享|大|中|小|字体|字号)[^】]{0,6}】"
    r"|\[\s*(?:打印|关闭|关闭窗口|打印本页|收藏|纠错|返回顶部|大|中|小)[^\]]{0,6}\]"
    r"|分享到|分享|扫一扫在手机(?:上)?打开(?:当前|本|此)页面?|用手机扫描二维码|打印本页|打印此页|关闭窗口|返回顶部"
    r"|字体|字号|默认|打印|关闭|收藏|微信|微博|QQ空间|QQ|复制链接|(?<![^\s:：|])[大中小](?![^\s|])"
)
_WIDGET_LEFTOVER = re.compile(r"^[\s:：|｜/\-·•,，。【】\[\]()（）]*$")

_TITLE_META = ("articletitle", "og:title", "title")
_DATE_META = (
    "pubdate",
    "publishdate",
    "publish_date",
    "publishtime",
    "firstpublishedtime",
    "article:published_time",
    "dc.date",
    "dcterms.issued",
)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _decode(data: bytes) -> Decoded:
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
_MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|meta|title|div|p|table|span|br|h[1-6]|a|script|style|\?xml)[\s>/]",
    re.IGNORECASE,
)


def _without_xml_entities(markup: str) -> str:
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


def _check_tree(markup: str, limits: ReadLimits) -> None:
    parser = etree.HTMLParser(target=_TreeCounter(limits))
    try:
        parser.feed(markup)
        parser.close()
    except etree.LxmlError:
        pass  # what lxml cannot parse, BeautifulSoup's own call reports


def _outermost(root: Tag, matches) -> list[Tag]:
    """Tags under `root` that `matches`, but none inside another one that does: a top-down walk
    that does not descend into a match. Dropping them is then linear however deep the page nests;
    checking `Tag.decomposed` on every tag instead made 8,000 nested <div>s take 49 s (bs4 answers
    it with a search of the tag's whole subtree)."""
    found: list[Tag] = []
    stack = [root]
    while stack:
        for child in stack.pop().contents:
            if not isinstance(child, Tag):
                continue
            if matches(child):
                found.append(child)
            else:
                stack.append(child)
    return found


def _is_prose(text: str, cjk: int) -> bool:
    return cjk >= 20 or (cjk >= 4 and bool(_SENTENCE_PUNCT.search(text)))


def _prose_counts(root: Tag) -> dict[int, int]:
    """CJK characters of prose (sentences outside links) under each element, by id().

    One iterative post-order walk: pages nest deeper than Python's recursion limit at times,
    and walking up from every string would be quadratic on long reports.
    """
    counts: dict[int, int] = {}
    totals = [0]
    link_depth = 0
    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        item, leaving = stack.pop()
        if leaving:
            total = totals.pop()
            counts[id(item)] = total
            totals[-1] += total
            link_depth -= item.name == "a"
        elif isinstance(item, Tag):
            link_depth += item.name == "a"
            totals.append(0)
            stack.append((item, True))
            stack.extend((child, False) for child in reversed(item.contents))
        elif not link_depth and not isinstance(item, _NOT_TEXT):
            cjk = len(_CJK.findall(item))
            if cjk and _is_prose(item, cjk):
                totals[-1] += cjk
    return counts


def _is_furniture(tag: Tag) -> bool:
    if tag.name in _FURNITURE_TAGS:
        return True
    attrs = tag.attrs or {}
    if str(attrs.get("role", "")).lower() in _FURNITURE_ROLES:
        return True
    if "hidden" in attrs or _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return True
    classes = attrs.get("class") or []
    names = " ".join([str(attrs.get("id", "")), *(classes if isinstance(classes, list) else [str(classes)])])
    return bool(names.strip()) and bool(_FURNITURE_NAME.search(names))


def _drop_furniture(body: Tag) -> None:
    prose = _prose_counts(body)
    # Outermost first: a dropped block's inner furniture is not looked at again.
    for tag in _outermost(body, lambda tag: _is_furniture(tag) and prose.get(id(tag), 0) < _GUARD_PROSE_CHARS):
        tag.decompose()


def _main_block(body: Tag) -> Tag:
    prose = _prose_counts(body)
    node = body
    if prose.get(id(body), 0) == 0:
        return body  # a page without prose (a table of figures): keep it all
    while True:
        total = prose.get(id(node), 0)
        children = [child for child in node.children if isinstance(child, Tag) and child.name in _CONTAINERS]
        best = max(children, key=lambda child: prose.get(id(child), 0), default=None)
        if best is None or prose.get(id(best), 0) < total * _DESCEND_SHARE:
            return node
        node = best


def _text_of(node: Tag) -> str:
    """Block elements become lines, table cells are separated by tabs, HTML whitespace collapses.

    Walks the tree without changing it: inserting markers into a BeautifulSoup tree costs a
    list scan per insert, which made a 5 MB page take many seconds.
    """
    parts: list[str] = []
    pre_depth = 0
    stack: list[tuple[PageElement, bool]] = [(node, False)]
    while stack:
        item, leaving = stack.pop()
        if leaving:
            pre_depth -= item.name == "pre"
            if item.name in _BLOCKS:
                parts.append("\n")
            elif item.name in _CELLS:
                parts.append("\t")
        elif isinstance(item, Tag):
            if item.name == "br":
                parts.append("\n")
                continue
            if item.name in _BLOCKS:
                parts.append("\n")
            pre_depth += item.name == "pre"
            stack.append((item, True))
            stack.extend((child, False) for child in reversed(item.contents))
        elif not isinstance(item, _NOT_TEXT):
            parts.append(str(item) if pre_depth else _HTML_SPACE.sub(" ", item).replace("\xa0", " "))
    lines = []
    for line in "".join(parts).split("\n"):
        line = line.strip(" \t")
        if line and not _is_widget(line):
            lines.append(line)
    return "\n".join(lines)


def _is_widget(line: str) -> bool:
    return bool(_WIDGET_LEFTOVER.match(_WIDGET.sub("", line)))


def _meta(soup: BeautifulSoup, names: tuple[str, ...]) -> list[str]:
    found = []
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or tag.get("property") or tag.get("itemprop") or "").lower()
        content = str(tag.get("content") or "").strip()
        if name in names and content:
            found.append(content)
    return found


_MAX_HEADING_CHARS = 120
_HEADING_CANDIDATES = {"h1", "h2", "h3", "div", "p", "span", "td"}
_TEXT_TYPES = (NavigableString, CData)  # the strings get_text() reads: no comments, scripts, styles


def _short_texts(root: Tag, limit: int) -> dict[int, str]:
    """Each element's text as `" ".join(tag.get_text(" ").split())` gives it, by id(), for the
    elements whose text is at most `limit` characters. One post-order walk, each text capped:
    get_text() on every candidate heading costs the depth of the page times its size."""
    texts: dict[int, str] = {}
    open_pieces: list[list[str] | None] = [[]]  # None: already over the limit
    lengths = [0]
    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        item, leaving = stack.pop()
        if leaving:
            pieces = open_pieces.pop()
            lengths.pop()
            text = " ".join(pieces) if pieces is not None else None
            if text is not None:
                texts[id(item)] = text
            _add_piece(open_pieces, lengths, text, limit)
        elif isinstance(item, Tag):
            open_pieces.append([])
            lengths.append(0)
            stack.append((item, True))
            stack.extend((child, False) for child in reversed(item.contents))
        elif type(item) in _TEXT_TYPES:
            _add_piece(open_pieces, lengths, " ".join(item.split()), limit)
    return texts


def _add_piece(open_pieces: list[list[str] | None], lengths: list[int], text: str | None, limit: int) -> None:
    """Add a child's text to the element being read; None (too long) makes the element too long."""
    pieces = open_pieces[-1]
    if pieces is None or text == "":
        return
    length = lengths[-1] + bool(pieces) + len(text) if text is not None else limit + 1
    if length > limit:
        open_pieces[-1] = None
        return
    lengths[-1] = length
    pieces.append(text)


def _title(soup: BeautifulSoup) -> str:
    """The CMS's ArticleTitle, else a heading that <title> repeats, else <title> without the site name."""
    article_title = next(iter(_meta(soup, ("articletitle",))), "")
    if article_title:
        return article_title
    page_title = " ".join(soup.title.get_text().split()) if soup.title else ""
    stripped = strip_site_suffix(page_title).rstrip(".…")
    headings = []
    texts = _short_texts(soup, _MAX_HEADING_CHARS)
    for tag in soup.descendants:  # find_all() with a list of names matches through bs4's slow filter
        if not isinstance(tag, Tag) or tag.name not in _HEADING_CANDIDATES:
            continue
        names = " ".join([str(tag.get("id", "")), *tag.get("class", [])]).lower()
        if tag.name in {"h1", "h2", "h3"} or "title" in names or "biaoti" in names:
            text = texts.get(id(tag), "")
            if len(text) >= 4 and _CJK.search(text):
                headings.append(text)
    if len(stripped) >= 4:
        # A heading wins when it is the <title>'s own text, or longer (the <title> was cut short).
        return next((heading for heading in headings if heading.startswith(stripped)), stripped)
    og_title = next(iter(_meta(soup, ("og:title",))), "")
    if og_title:
        return strip_site_suffix(og_title)
    return headings[0] if headings else page_title


# Long articles are split over pages: TRS WCM writes `createPageHTML(total, current0, "t2022…", "html")`,
# other CMSs a pager with 下一页 / 尾页 and "第 1 页 共 3 页".
_PAGER_SCRIPT_RE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)")
_PAGE_OF_RE = re.compile(r"第\s*(\d+)\s*页\s*[/／,，]?\s*共\s*(\d+)\s*页")
_NEXT_PAGE_RE = re.compile(r"^\s*[\[【<《]?\s*(?:下一页|下页|尾页|末页)\s*[\]】>》]?\s*$")


def pagination(soup: BeautifulSoup) -> tuple[int, int] | None:
    """(this page, pages) of an article split over pages, (0, 0) when the count is not shown; None
    for a whole article. Read before scripts are dropped."""
    for script in soup.find_all("script"):
        found = _PAGER_SCRIPT_RE.search(script.string or "")
        if found and int(found.group(1)) > 1:
            return int(found.group(2)) + 1, int(found.group(1))
    pagers = [
        a
        for a in soup.find_all("a")
        if _NEXT_PAGE_RE.match(a.get_text()) and not str(a.get("href", "#")).startswith(("#", "javascript"))
    ]
    counted = _PAGE_OF_RE.search(soup.get_text(" ")) if pagers else None
    if counted and int(counted.group(2)) > 1:
        return int(counted.group(1)), int(counted.group(2))
    return (0, 0) if pagers else None


def _meta_date(soup: BeautifulSoup) -> datetime.date | None:
    for content in _meta(soup, _DATE_META):
        date = parse_date(content)
        if date:
            return date
    return None


class HtmlReader:
    format = "html"
    extensions = (".html", ".htm", ".shtml", ".xhtml")

    def sniff(self, data: bytes) -> bool:
        head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        return head.startswith(b"<!doctype html") or b"<html" in head

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        refuse_binary(data)
        decoded = _decode(data)
        if not _MARKUP.search(decoded.text, 0, 65536):
            refuse_undecodable(decoded)  # no markup at all: it has to read as text
        markup = _without_xml_entities(decoded.text)
        _check_tree(markup, limits)
        soup = BeautifulSoup(markup, "lxml")
        title = _title(soup)
        published = _meta_date(soup)
        warnings = list(decoded.warnings)
        paged = pagination(soup)
        if paged:
            current, total = paged
            warnings.append(PAGED.format(current=current, total=total) if total else PAGED_UNKNOWN)
        for tag in _outermost(soup, lambda tag: tag.name in _ALWAYS_DROP):
            tag.decompose()
        body = soup.body or soup
        # The date line usually sits in furniture (an info bar), so look for it before dropping that.
        published = published or find_labelled_date(body.get_text("\n"), limit=None)
        _drop_furniture(body)
        text = _text_of(_main_block(body))
        return build_result(
            text,
            format=self.format,
            encoding=decoded.encoding,
            title=title,
            published=published,
            warnings=warnings,
            empty_reason=EMPTY,
            limits=limits,
        )
