"""Split a work report into review / plan / other sections and tell each section's year and period.

Years written in the body's section headings win over the page title (scraped pages often carry a
wrong year in their title); a year the text does not state is left unknown, never guessed.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace

from commitments.engine.ingest.headings import heading_level
from commitments.engine.ingest.wrapping import goes_on, indented, invisible, text_wrap_width
from commitments.engine.types import SectionSpan

REVIEW_RE = re.compile(
    r"回顾|总结|工作情况|开展情况|完成情况|进展情况|执行情况|成绩|成效|成果|取得的|主要工作|工作亮点|所做的工作|"
    r"工作进展|主要做法"
)
PLAN_RE = re.compile(
    r"计划|打算|安排|思路|下一阶段|下一步|下半年工作(?!总结|回顾|情况|开展)|今后|工作要点|重点工作|主要任务|目标和任务|目标任务|"
    r"总体要求|政策取向|建议|部署|重点任务|工作任务|工作措施|努力方向|展望|工作谋划|工作设想|"
    r"工作目标(?!完成|实现|情况|进展)"
)
OTHER_RE = re.compile(r"问题|不足|差距|短板|困难和挑战|形势")
# Headings that name a programme rather than a part of the report ("一、完善养老服务计划") are told
# apart by the marker standing at the heading's end, after the period words.
STRONG_TAIL_RE = re.compile(
    r"(?:工作)?(?:回顾|总结|情况|成绩|成效|计划|打算|安排|思路|要点|任务|要求|政策取向|建议|部署|问题|不足|"
    r"谋划|设想|目标|进展|做法)"
    r"[:：。]?$"
)
# "2022年", and in formal titles "二〇二二年" / "二零二二年".
CN_DIGITS = "〇○零OＯ一二三四五六七八九"
YEAR_RE = re.compile(rf"(?<!\d)((?:19|20)\d{{2}}|一九[{CN_DIGITS}]{{2}}|二[〇○零OＯ][{CN_DIGITS}]{{2}})\s*年")
_CN_DIGIT_VALUE = {
    ch: str(i)
    for i, group in enumerate(["〇○零OＯ", "一", "二", "三", "四", "五", "六", "七", "八", "九"])
    for ch in group
}
PERIOD_RE = re.compile(
    r"上半年|下半年|前三季度|第[一二三四1-4]季度|[一二三四]季度|下一阶段|下阶段|下一步|十[一二三四五六七八九]五"
)
FIVE_YEAR_RE = re.compile(r"^十[一二三四五六七八九]五$")
LATE_MONTH = 10  # a report dated October or later plans for the next year
# Years a heading gives relative to when the report was written ("今年工作安排", "过去一年工作回顾"),
# as offsets from the year of its date, early in the year and late in it (from LATE_MONTH): in
# December "过去一年" is the year now ending and "新的一年" the next.
RELATIVE_YEARS = [
    (re.compile(r"过去(?:的)?一年"), (-1, 0)),
    (re.compile(r"新的一年"), (0, 1)),
    (re.compile(r"今年|本年"), (0, 0)),
    (re.compile(r"明年|来年|下一年"), (1, 1)),
    (re.compile(r"去年|上年|上一年"), (-1, -1)),
]
# Breadcrumbs and menus of scraped pages look like headings ("首页 > 规划计划").
NAVIGATION_RE = re.compile(r"[>›»]|当前位置|首页|登录|无障碍")
BOILERPLATE_RE = re.compile(
    r"扫一扫|微信扫码|扫码|分享到|分享：|打印本页|【打印】|【关闭】|关闭窗口|版权所有|ICP备|网站标识码|"
    r"以上这篇|编辑希望|搜索到更多|相关阅读|推荐阅读|相关文章|上一篇|下一篇|领取福利|责任编辑|来源：|谢谢大家"
)
_WS = " \t\u3000\xa0"
HAN_RE = re.compile(r"[\u4e00-\u9fff]")

HEADING_MAX = 60
UNNUMBERED_MAX = 40


@dataclass(frozen=True)
class HeadingCandidate:
    start: int
    heading: str
    level: int  # 0: a line of its own without number; 1: 一、
    kind: str
    year: int | None
    period: str
    is_title: bool


def classify_heading(heading: str) -> tuple[str | None, bool]:
    """Kind of report part a heading introduces, and whether it is a title naming both parts."""
    body = re.sub(r"^[^\u4e00-\u9fff\d“\"]*[一二三四五六七八九十]{1,3}[、.．]", "", heading).strip()
    review = bool(REVIEW_RE.search(body))
    plan = bool(PLAN_RE.search(body))
    if review and plan:
        # "2021年工作总结和2022年工作计划" names both parts: a title. "对2018年工作的建议" is plain.
        joined = re.search(r"(回顾|总结|情况|成绩|成效)[^，,。]{0,3}(和|及|暨|与|、|以及|并)", body)
        if joined:
            return None, True
        return ("plan" if PLAN_RE.search(body[-8:]) else "review"), False
    if plan:
        return "plan", False
    if review:
        return "review", False
    if OTHER_RE.search(body):
        return "other", False
    return None, False


def _period_of(heading: str) -> str:
    match = PERIOD_RE.search(re.sub(r"[“”\"]", "", heading))
    if not match:
        return ""
    period = match.group(0)
    if FIVE_YEAR_RE.match(period) and (_years_of(heading) or _relative_year(heading) is not None):
        return ""  # "“十二五”时期和2015年（过去一年）工作回顾": the year is what gets matched
    return {"下阶段": "下一阶段", "下一步": "下一阶段"}.get(period, period)


def _years_of(heading: str) -> list[int]:
    return [int("".join(_CN_DIGIT_VALUE.get(ch, ch) for ch in y)) for y in YEAR_RE.findall(heading)]


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _candidates(text: str) -> list[HeadingCandidate]:
    found: list[HeadingCandidate] = []
    width = text_wrap_width(text)
    previous, carried = "", False
    for line_start, line in _lines(text):
        if invisible(line):  # a web page's empty inline element: the paragraph goes on over it
            carried = carried or bool(previous.strip(_WS))
            continue
        stripped = line.lstrip(_WS)
        # a wrapped paragraph going on
        continued = goes_on(previous, width, next_indented=indented(line), carried=carried, next_line=stripped)
        carried = continued and bool(stripped)
        previous = line
        if not stripped or _table_row(stripped):
            continue
        start = line_start + len(line) - len(stripped)
        positions = [start]
        # Reports flattened to one line keep their headings after a run of spaces: " 二、2021年具体安排 凡为…"
        if len(stripped) > UNNUMBERED_MAX * 3:
            positions += [
                line_start + m.end() for m in re.finditer(r"[ \u3000]+(?=[一二三四五六七八九十]{1,3}、)", line)
            ]
        for pos in positions:
            candidate = _candidate_at(text, pos, line_start + len(line), inline=pos != start)
            if candidate and not (continued and candidate.level == 0):
                found.append(candidate)
    return found


def _table_row(line: str) -> bool:
    """Three cells or more: a row of a table ("序号\t工作任务\t责任单位"), never a heading, though a
    numbered heading may have a tab after its number ("一、\t2022年工作计划")."""
    return line.count("\t") >= 2 and sum(1 for cell in line.split("\t") if cell.strip()) >= 3


def _candidate_at(text: str, pos: int, line_end: int, *, inline: bool) -> HeadingCandidate | None:
    enumerated = heading_level(text, pos)
    level = enumerated[0] if enumerated else 0
    if level not in (0, 1):
        return None
    rest = text[pos:line_end]
    if level == 1:
        after = enumerated[1] - pos
        body_start = after + len(rest[after:]) - len(rest[after:].lstrip(_WS))
        cut = re.search(r"[。!！?？]|[ \u3000\t]{1,}(?=\S)", rest[body_start:])
        heading = rest[: body_start + cut.start()] if cut else rest
        if cut and cut.group(0) == "。":
            heading = rest[: body_start + cut.start()]
    else:
        heading = rest.rstrip(_WS)
        if len(heading) > UNNUMBERED_MAX or re.search(r"[。，,；;]", heading.rstrip("。:：")):
            return None
    heading = heading.strip(_WS)
    if not heading or len(heading) > HEADING_MAX or NAVIGATION_RE.search(heading):
        return None
    kind, is_title = classify_heading(heading)
    if kind is None and not is_title:
        return None
    years = _years_of(heading)
    if level == 0 and not is_title and not (years or _period_of(heading) or STRONG_TAIL_RE.search(heading)):
        return None
    if level == 0 and not years and not _period_of(heading) and heading.endswith("。"):
        return None  # a one-sentence paragraph ("圆满完成全年各项工作任务。"), not a heading
    if inline and not (years or _period_of(heading)):
        return None
    return HeadingCandidate(
        start=pos,
        heading=heading,
        level=level,
        kind=kind or "",
        year=years[-1] if years else None,
        period=_period_of(heading),
        is_title=is_title,
    )


def _content_end(text: str, start: int, end: int) -> int:
    """End of the last substantive line before `end`, dropping page furniture after the report."""
    lines = list(_lines(text[start:end]))
    for offset, line in reversed(lines):
        stripped = line.strip(_WS)
        if not stripped:
            continue
        if BOILERPLATE_RE.search(stripped) and len(HAN_RE.findall(stripped)) < 200:
            continue
        if len(HAN_RE.findall(stripped)) < 8 and not re.search(r"[。；;！!？?]$", stripped):
            continue
        return start + offset + len(line.rstrip(_WS))
    return start


def _select_starts(candidates: list[HeadingCandidate]) -> list[HeadingCandidate]:
    starts: list[HeadingCandidate] = []
    for candidate in candidates:
        if candidate.is_title:
            continue
        current = starts[-1] if starts else None
        if current and current.level == 0 and candidate.level == 1 and candidate.kind == current.kind:
            continue  # a numbered topic inside a part introduced by a free-standing heading
        same_part = current and candidate.kind == current.kind and candidate.year == current.year
        merges = same_part and not candidate.period and (candidate.level > current.level or candidate.year is None)
        if merges and not _names_another_year(candidate, current):
            continue
        starts.append(candidate)
    return starts


def _names_another_year(candidate: HeadingCandidate, current: HeadingCandidate) -> bool:
    """ "三、今年工作安排" after "二、“十三五”…目标和任务" is a part of its own, as "三、2016年工作安排" is."""
    relative = _relative_year(candidate.heading)
    return (
        candidate.level <= current.level
        and relative is not None
        and (relative != _relative_year(current.heading) or current.period != candidate.period)
    )


def _report_year(starts: list[HeadingCandidate], title: str, year_hint: int | None) -> int | None:
    if year_hint:
        return year_hint
    for c in starts:
        if c.kind == "plan" and c.year and c.period in ("", "下半年", "下一阶段"):
            return c.year
    # A report with a plan for the second half (下半年工作打算) plans for the year it reviews.
    half = any(c.kind == "plan" and c.period == "下半年" for c in starts)
    for c in starts:
        if c.kind == "review" and c.year:
            within = half or c.period in ("上半年", "前三季度") or "季度" in c.period
            return c.year if within else c.year + 1
    title_years = _years_of(title)
    return max(title_years) if title_years else None


def _relative_year(heading: str) -> int | None:
    """Which relative year a heading names (an index into RELATIVE_YEARS), or None."""
    for index, (pattern, _) in enumerate(RELATIVE_YEARS):
        if pattern.search(heading):
            return index
    return None


def year_named(heading: str, year: int, late: bool) -> int | None:
    """The year a heading names relative to when the report was written ("明年工作计划" written in
    December 2021: 2022)."""
    index = _relative_year(heading)
    if index is None:
        return None
    early, later = RELATIVE_YEARS[index][1]
    return year + (later if late else early)


WITHIN_YEAR_RE = re.compile(r"以来|截至目前|至今")
LATE_PERIODS = ("下半年", "第四季度", "四季度")
NEW_YEAR_RE = RELATIVE_YEARS[1][0]  # 新的一年
NEXT_YEAR_RE = RELATIVE_YEARS[3][0]  # 明年


def _dated(starts: list[HeadingCandidate], published: datetime.date, named: list[str]) -> list[HeadingCandidate]:
    """The part headings with the years (and periods) their words name, given the report's date.

    A year-end report is often posted in January: one that plans for 明年 then was written in the
    December before.
    """
    written_year, late = published.year, published.month >= LATE_MONTH
    if published.month <= 2 and any(c.kind == "plan" and NEXT_YEAR_RE.search(c.heading) for c in starts):
        written_year, late = written_year - 1, True
    placed = []
    reviewed = None
    for c in starts:
        year, period = None, c.period or ""
        if c.kind in ("plan", "review") and not FIVE_YEAR_RE.match(period):
            index = _relative_year(c.heading)
            if index is not None and RELATIVE_YEARS[index][0] is NEW_YEAR_RE and reviewed is not None:
                year = reviewed + 1  # the year after the one the report reviews
            elif index is not None:
                year = year_named(c.heading, written_year, late)
                if c.kind == "review" and not period and not late and WITHIN_YEAR_RE.search(c.heading):
                    # "今年以来工作情况" in July: the year so far, as a half-year review would say.
                    period = "上半年" if published.month <= 7 else "前三季度"
            elif period and not FIVE_YEAR_RE.match(period) and period != "下一阶段":
                # 上半年 / 第三季度 without a year: the year of the date (a year's second half is
                # reviewed early in the next).
                early_review = c.kind == "review" and period in LATE_PERIODS and published.month <= 2
                year = published.year - 1 if early_review else published.year
            if c.kind == "review" and year is not None:
                reviewed = year
        if year is None:
            placed.append(c)
            continue
        placed.append(replace(c, year=year, period=period))
        named.append(f"“{c.heading}”为 {year} 年{period if period != c.period else ''}")
    return placed


def year_from_date(published: datetime.date) -> int:
    """The report's own (plan) year from its date alone: late in the year it plans for the next."""
    return published.year + (1 if published.month >= LATE_MONTH else 0)


def _fill_year(kind: str, period: str, year: int | None, *, neighbours: list[SectionSpan], report_year: int | None):
    if year is not None:
        return year
    if FIVE_YEAR_RE.match(period):
        return None  # a five-year programme has no single year to be matched against
    if kind == "plan" and period in ("下半年",):
        for s in neighbours:
            if s.kind == "review" and s.year and s.period in ("上半年", ""):
                return s.year
    if kind == "plan" and period == "下一阶段":
        for s in neighbours:
            if s.kind == "review" and s.year:
                return s.year + 1 if s.period == "" else s.year
        return report_year
    if kind == "review" and (period in ("上半年", "前三季度") or "季度" in period):
        for s in neighbours:
            if s.kind == "plan" and s.year:
                return s.year
        return None
    if report_year is None:
        return None
    if kind == "plan":
        return report_year
    if kind == "review":
        return report_year - 1
    return None


def split_sections(
    text: str, *, title: str = "", year_hint: int | None = None, published: datetime.date | None = None
) -> tuple[list[SectionSpan], int | None, list[str]]:
    """Sections in text order, the report's own year, and warnings for the analyst.

    `published` (the date the report bears) is the last resort for the report's year.
    """
    warnings: list[str] = []
    candidates = _candidates(text)
    starts = _select_starts(candidates)
    if not title:
        titles = [c.heading for c in candidates if c.is_title]
        title = titles[0] if titles else ""
    if not starts:
        end = _content_end(text, 0, len(text))
        if not HAN_RE.search(text[:end]):
            return [], year_hint, ["报告中没有可识别的中文正文"]
        title_years = _years_of(title)
        year = year_hint or (max(title_years) if title_years else None)
        if year is None and published is not None:
            year = year_from_date(published)
        warnings.append("未找到“回顾/计划”等部分标题，全文按一个计划部分处理")
        return [SectionSpan("plan", year, _period_of(title), title, 0, end)], year, warnings

    named: list[str] = []
    written = _years_of(title) or any(c.year for c in starts)
    if published is not None and not year_hint and not written:
        # With no year written anywhere, 今年/明年/过去一年 and 上半年/第四季度 in a heading name a year
        # as plainly as 2022年 does, given the date.
        starts[:] = _dated(starts, published, named)
    if named:
        warnings.append(f"标题未写明年份，按报告日期（{published.isoformat()}）推定：" + "；".join(named))
    report_year = _report_year(starts, title, year_hint)
    dated = report_year is None and published is not None and any(s.year is None for s in starts)
    if dated:
        report_year = year_from_date(published)
    raw: list[SectionSpan] = []
    if HAN_RE.search(text[: starts[0].start]):
        raw.append(SectionSpan("other", None, "", "", 0, starts[0].start))
    for index, candidate in enumerate(starts):
        end = starts[index + 1].start if index + 1 < len(starts) else _content_end(text, candidate.start, len(text))
        raw.append(
            SectionSpan(candidate.kind, candidate.year, candidate.period or "", candidate.heading, candidate.start, end)
        )
    sections = [
        SectionSpan(
            s.kind,
            _fill_year(s.kind, s.period, s.year, neighbours=raw, report_year=report_year),
            s.period,
            s.heading,
            s.start,
            s.end,
        )
        for s in raw
    ]
    if dated and any(s.year is not None for s, r in zip(sections, raw, strict=True) if r.year is None):
        warnings.append(f"标题未写明年份，按报告日期（{published.isoformat()}）推定本报告为 {report_year} 年的计划")
    for s in sections:
        if s.kind in ("plan", "review") and s.year is None:
            warnings.append(f"“{s.heading}”未写明年份，年份记为未知")
    if not any(s.kind == "plan" for s in sections):
        warnings.append("报告中没有找到计划部分，没有可抽取的承诺")
    return sections, report_year, warnings
