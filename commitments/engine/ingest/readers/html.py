"""Web pages saved from government sites: the article without the site around it.

Government CMS pages (TRS, Hanweb, ...) wrap a report in navigation, breadcrumbs, share widgets
and footers. Page furniture is removed by tag and by id/class name, then the main block is found
the readability way: descend from <body> while one child still holds nearly all the prose. Prose
(sentences outside links) is what is counted, so sidebars, link lists and footers weigh nothing.

A page is refused before its tree is built when it nests deeper or holds more elements than the
read limits allow, and every walk over the tree is linear, however deep it nests.
"""

from __future__ import annotations

import re

from bs4 import (
    BeautifulSoup,
    Comment,
    Declaration,
    Doctype,
    PageElement,
    ProcessingInstruction,
    Tag,
)

from commitments.engine.ingest.readers.base import DEFAULT_LIMITS, ReadLimits, ReadResult, build_result
from commitments.engine.ingest.readers.html_guard import MARKUP, check_tree, decode_page, without_xml_entities
from commitments.engine.ingest.readers.html_metadata import page_date, page_title, pagination
from commitments.engine.ingest.readers.metadata import find_labelled_date
from commitments.engine.ingest.readers.sniffing import refuse_binary, refuse_undecodable

EMPTY = "网页中没有找到正文文字"
PAGED = "网页正文分 {total} 页显示，这里只读到第 {current} 页：请把各页都导入，或导入完整的附件（PDF/Word）"
PAGED_UNKNOWN = "网页正文分页显示（有“下一页”），这里只读到其中一页：请把各页都导入，或导入完整的附件（PDF/Word）"

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


class HtmlReader:
    format = "html"
    extensions = (".html", ".htm", ".shtml", ".xhtml")

    def sniff(self, data: bytes) -> bool:
        head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        return head.startswith(b"<!doctype html") or b"<html" in head

    def read(self, data: bytes, *, filename: str, limits: ReadLimits = DEFAULT_LIMITS) -> ReadResult:
        refuse_binary(data)
        decoded = decode_page(data)
        if not MARKUP.search(decoded.text, 0, 65536):
            refuse_undecodable(decoded)  # no markup at all: it has to read as text
        markup = without_xml_entities(decoded.text)
        check_tree(markup, limits)
        soup = BeautifulSoup(markup, "lxml")
        title = page_title(soup)
        published = page_date(soup)
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
