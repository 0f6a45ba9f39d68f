"""What a web page says about itself besides its text: its title, its date, and whether it is one page of several."""

from __future__ import annotations

import datetime
import re

from bs4 import (
    BeautifulSoup,
    CData,
    NavigableString,
    PageElement,
    Tag,
)

from commitments.engine.ingest.readers.metadata import parse_date, strip_site_suffix

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
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


def page_title(soup: BeautifulSoup) -> str:
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


def page_date(soup: BeautifulSoup) -> datetime.date | None:
    for content in _meta(soup, _DATE_META):
        date = parse_date(content)
        if date:
            return date
    return None
