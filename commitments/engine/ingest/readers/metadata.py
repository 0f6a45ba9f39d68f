"""Where a report's title and publishing date are guessed from its text.

Both are only hints for the importer (bureau, year and period detection can be corrected by the
analyst), so the rules prefer saying nothing over guessing from body text.
"""

from __future__ import annotations

import datetime
import re

_HAN = re.compile(r"[\u3400-\u9fff]")

# -- Dates -------------------------------------------------------------------------------------

_DATE = r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"
_CN_DIGITS = "〇零○Ｏ一二三四五六七八九十"
_CN_DATE = rf"(?P<cy>[{_CN_DIGITS}]{{4}})年(?P<cm>[{_CN_DIGITS}]{{1,2}})月(?P<cd>[{_CN_DIGITS}]{{1,3}})日"
_ANY_DATE = re.compile(rf"{_DATE}|{_CN_DATE}")
# Labels a CMS puts before the publishing date ("发布日期:2022-01-29", "發佈時間：2022年1月29日").
_LABELLED_DATE = re.compile(
    r"(?:发布|發佈|發布|更新|成文|发文|印发|公开)?(?:日期|时间|時間)\s*[:：]?\s*" + rf"(?:{_DATE}|{_CN_DATE})"
)
# A bare date only counts near the top and on a short line (a dateline, not a deadline in a sentence).
_TOP_LINES = 12
_DATELINE_MAX_CHARS = 60
_LABEL_SEARCH_CHARS = 3000
# The signature block closes the document: the issuer, then the date, maybe a note (（此件公开发布）).
_BOTTOM_LINES = 4
_SIGNATURE_MAX_CHARS = 40
# Before a date, these make it a start or a deadline ("自2023年1月1日起施行", "截至2022年底").
_SENTENCE_MARK_RE = re.compile(r"[，,。；;：:！？!?]")
_BEFORE_DATE_RE = re.compile(r"(?:自|从|于|截至|截止|到|至|在)\s*$")
# After the date a signature has nothing, or "印发" / "（此件公开发布）".
_AFTER_SIGNATURE_DATE_RE = re.compile(r"^[日号]?\s*(?:印发|发布|[（(][^）)]*[)）])?\s*$")


def _cn_number(text: str) -> int:
    values = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
    values |= {"六": 6, "七": 7, "八": 8, "九": 9}
    if "十" in text:
        tens, _, units = text.partition("十")
        return (values.get(tens, 1) if tens else 1) * 10 + (values.get(units, 0) if units else 0)
    return int("".join(str(values[ch]) for ch in text))


def _date_from_match(match: re.Match) -> datetime.date | None:
    try:
        if match.group("y"):
            year, month, day = int(match.group("y")), int(match.group("m")), int(match.group("d"))
        else:
            year, month, day = (_cn_number(match.group(g)) for g in ("cy", "cm", "cd"))
        date = datetime.date(year, month, day)
    except (ValueError, KeyError):
        return None
    return date if 1949 <= date.year <= 2100 else None


def parse_date(text: str) -> datetime.date | None:
    """The first date written in `text` ("2022-01-29 09:47", "2022年1月29日", "二〇二二年一月二十九日")."""
    for match in _ANY_DATE.finditer(text or ""):
        date = _date_from_match(match)
        if date:
            return date
    return None


def find_labelled_date(text: str, *, limit: int | None = _LABEL_SEARCH_CHARS) -> datetime.date | None:
    """A date the page itself labels as publishing date ("发布日期:2022-01-29")."""
    for match in _LABELLED_DATE.finditer(text if limit is None else text[:limit]):
        date = _date_from_match(match)
        if date:
            return date
    return None


def find_published(text: str) -> datetime.date | None:
    """A labelled date near the top, else a dateline ("--2015年2月5日在…会议上") among the first lines,
    else the date an official document is signed with at its end ("中山市民政局\n二〇二二年一月十日")."""
    labelled = find_labelled_date(text)
    if labelled:
        return labelled
    for line in _top_lines(text):
        if len(line) <= _DATELINE_MAX_CHARS:
            date = parse_date(line)
            if date:
                return date
    return _signature_date(text)


def _signature_date(text: str) -> datetime.date | None:
    """A line that is only a date, maybe after the issuer's name, among the last lines: a date in a
    closing sentence ("力争2022年12月31日前完成。") is a deadline, not the document's date."""
    for line in _bottom_lines(text):
        match = _ANY_DATE.search(line)
        if not match or len(line) > _SIGNATURE_MAX_CHARS or "\t" in line:  # a table row is no signature
            continue
        before, after = line[: match.start()], line[match.end() :]
        if _SENTENCE_MARK_RE.search(before) or _BEFORE_DATE_RE.search(before):
            continue
        if not _AFTER_SIGNATURE_DATE_RE.match(after):
            continue
        date = _date_from_match(match)
        if date:
            return date
    return None


def _bottom_lines(text: str) -> list[str]:
    return _filled_lines(reversed(text.rsplit("\n", 200)[-200:]), _BOTTOM_LINES)


# -- Titles ------------------------------------------------------------------------------------

# Lines of page furniture that a saved page keeps above the title.
_BOILERPLATE = re.compile(
    r"无障碍|长者|登录|注册|当前的?位置|首页\s*[>＞»›]|信息来源|来源[:：]|发布(?:日期|时间)|分享|打印|关闭"
    r"|字体|字号|浏览次数|阅读次数|点击数|收藏|扫一扫|版权所有|ICP|网站|门户|记住我|admin"
)
# Enumerated headings ("一、", "（一）", "1.") are sections, never the report's title.
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])")
_TITLE_WORDS = re.compile(r"总结|计划|报告|要点|打算|安排|思路|讲话|规划|方案|意见|通知|回顾")
# Titles are not sentences: no commas, no closing full stop, no salutation colon ("各位代表：").
_SENTENCE = re.compile(r"[，,；;]|[。：:]$")
_TITLE_MAX_CHARS = 60
_FIRST_LINE_MAX_CHARS = 80
_SPACED_OUT = re.compile(r"^\S(?:[ \u3000]+\S)+$")
_TITLE_SEPARATORS = re.compile(r"\s*(?:[|｜_]|\s[-–—]+\s|--+|(?<!\d)-|-(?!\d))\s*")
_GENERIC_TITLES = {"untitled", "无标题", "文档", "document", "新建 microsoft word 文档", "ppt 模板"}


def _filled_lines(lines, count: int) -> list[str]:
    found = []
    for line in lines:
        line = line.strip()
        if line:
            found.append(line)
            if len(found) == count:
                break
    return found


def _top_lines(text: str) -> list[str]:
    return _filled_lines(text.split("\n", 200)[:200], _TOP_LINES)


def _unspace(line: str) -> str:
    """'政 府 工 作 报 告' → '政府工作报告': cover pages space out their titles."""
    if _SPACED_OUT.match(line) and all(len(part) == 1 for part in line.split()):
        return "".join(line.split())
    return line


def guess_title(text: str) -> str:
    """A title-like line near the top (one that names a report kind), else the first plain line."""
    candidates = [_unspace(line) for line in _top_lines(text)]
    candidates = [
        line
        for line in candidates
        if _HAN.search(line)
        and not _BOILERPLATE.search(line)
        and not _HEADING.match(line)
        and not _SENTENCE.search(line)
    ]
    for line in candidates:
        if len(line) <= _TITLE_MAX_CHARS and _TITLE_WORDS.search(line):
            return line
    if candidates and len(candidates[0]) <= _FIRST_LINE_MAX_CHARS:
        return candidates[0]
    return ""


def tidy_title(title: str) -> str:
    """One line, single spaces, without Office's "Microsoft Word - " prefix or a file extension."""
    title = " ".join((title or "").split())
    title = re.sub(r"^microsoft (?:word|powerpoint) - ", "", title, flags=re.IGNORECASE)
    title = re.sub(r"\.(?:docx?|wps|pdf|txt|html?)$", "", title, flags=re.IGNORECASE)
    if title.lower() in _GENERIC_TITLES:
        return ""
    return title[:200]


def strip_site_suffix(title: str) -> str:
    """'2022年工作计划_中山市民政局' → '2022年工作计划': the longest part is the article's own title."""
    parts = [part for part in _TITLE_SEPARATORS.split(title or "") if part.strip()]
    if not parts:
        return ""
    return max(parts, key=len).strip()
