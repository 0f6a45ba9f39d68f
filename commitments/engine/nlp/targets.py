"""Quantitative targets in a sentence: value, unit, comparator and what the figure is about.

Matching compares a plan's target with the figure a review reports, so the parse keeps the
comparator (超过 → >, 以内 → <=, 左右 → ~) and normalises 万/亿 into the value.
"""

from __future__ import annotations

import re

from commitments.engine.nlp.numbers import CN_NUMERAL_CHARS, cn_to_number
from commitments.engine.types import Target

UNITS = (
    "个百分点|万亿元|亿元|万元|千元|元|万人次|人次|万人|万户|户|名|人|个|家|所|张|项|场|次|公里|千米|米|平方米|"
    "平方公里|万亩|亩|吨|座|条|处|套|辆|台|分钟|小时|天|倍|批|支|类|件|宗|间|栋|公顷|千瓦|标准|床"
)
NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
CN_NUM = f"[{CN_NUMERAL_CHARS}点]+"
SCALE = r"[万亿]{0,2}"
PREFIX = (
    r"(?P<pre>不低于|不少于|不超过|不高于|超过|高于|大于|多于|低于|少于|小于|达到|达|突破|提高到|提高至|提升到|提升至|"
    r"降低到|降至|下降到|控制在|保持在|稳定在|增长|提高|提升|下降|降低|减少|增加|新增|压减|压缩|缩短|扩大)?"
)
SUFFIX = r"(?P<post>以上|以下|以内|左右|之内|内|上下|多)?"

TARGET_RE = re.compile(
    PREFIX
    + rf"(?:百分之(?P<cnpct>{CN_NUM})|(?P<num>{NUM})(?:[%％]?\s*(?:-|－|—|~|～|至|到)\s*(?P<num2>{NUM}))?"
    # "30多万公里", "6000多公里", "200余家": more than the figure, said between number and unit.
    + rf"(?P<more>[多余](?=[万亿]|{UNITS}))?(?P<scale>{SCALE})(?P<more2>[多余](?={UNITS}))?"
    + rf"|(?P<cnnum>{CN_NUM}))"
    + rf"\s*(?P<unit>%|％|‰|{UNITS})?"
    + SUFFIX
)
FULL_COVERAGE_RE = re.compile(r"全覆盖|全面覆盖|应保尽保|应救尽救")
QUOTED_RE = re.compile(r"“[^”]{0,30}”|\"[^\"]{0,30}\"|《[^》]{0,60}》")
SUBJECT_STOP = re.compile(r"[，,、；;：:。（）()“”\s]")

_COMPARATORS = {
    "不低于": ">=",
    "不少于": ">=",
    "达到": ">=",
    "达": ">=",
    "突破": ">",
    "超过": ">",
    "高于": ">",
    "大于": ">",
    "多于": ">",
    "不超过": "<=",
    "不高于": "<=",
    "低于": "<",
    "少于": "<",
    "小于": "<",
    "控制在": "<=",
    "提高到": "=",
    "提高至": "=",
    "提升到": "=",
    "提升至": "=",
    "降低到": "=",
    "降至": "=",
    "下降到": "=",
    "保持在": "=",
    "稳定在": "=",
    "增长": "+",
    "提高": "+",
    "提升": "+",
    "增加": "+",
    "新增": "+",
    "扩大": "+",
    "下降": "-",
    "降低": "-",
    "减少": "-",
    "压减": "-",
    "压缩": "-",
    "缩短": "-",
}
_SUFFIX_COMPARATORS = {
    "以上": ">=",
    "多": ">",
    "以下": "<=",
    "以内": "<=",
    "之内": "<=",
    "内": "<=",
    "左右": "~",
    "上下": "~",
}


def _scale(text: str) -> float:
    factor = 1.0
    for ch in text:
        factor *= 10_000 if ch == "万" else 100_000_000
    return factor


def _subject(sentence: str, start: int) -> str:
    """The few words before a figure that say what it measures ("护理型床位占比")."""
    left = sentence[:start]
    cut = max((m.end() for m in SUBJECT_STOP.finditer(left)), default=0)
    return left[cut:][-16:]


def _masked(sentence: str) -> str:
    # Numbers inside quotes are slogans ("两个维护", "四个意识") or names, not targets.
    return QUOTED_RE.sub(lambda m: "\0" * len(m.group(0)), sentence)


def parse_targets(sentence: str) -> list[Target]:
    """Every quantitative target stated in `sentence`, in order."""
    masked = _masked(sentence)
    targets: list[Target] = []
    for match in TARGET_RE.finditer(masked):
        if not (match.group("num") or match.group("cnnum") or match.group("cnpct")):
            continue
        target = _target_from(match, sentence)
        if target is not None:
            targets.append(target)
    covered = " ".join(t.text for t in targets)
    for match in FULL_COVERAGE_RE.finditer(masked):
        if "100%" not in covered and "百分之百" not in covered:
            targets.append(Target(match.group(0), 100.0, "%", "=", _subject(sentence, match.start())))
    return targets


def _target_from(match: re.Match[str], sentence: str) -> Target | None:
    unit = match.group("unit") or ""
    start, end = match.start(), match.end()
    before = sentence[max(0, match.start("num") if match.group("num") else start) - 1 : start + 1]
    if match.group("cnpct"):
        value = cn_to_number(match.group("cnpct"))
        unit = "%"
    elif match.group("num"):
        num_start = match.start("num")
        after = sentence[match.end("num") : match.end("num") + 1]
        if not unit and not match.group("scale"):
            return None  # a bare number: an item code, a date part or an ordinal
        if unit == "" and after == "年" or sentence[num_start - 1 : num_start] == "第" or before.startswith("第"):
            return None
        value = float(match.group("num").replace(",", "")) * _scale(match.group("scale") or "")
    else:
        raw = match.group("cnnum")
        value = cn_to_number(raw)
        # "三大平台", "一社区一对策": small Chinese numerals without a unit are names, not targets.
        if value is None or not unit or value < 10 or sentence[max(0, match.start("cnnum") - 1)] == "第":
            return None
    if value is None:
        return None
    if unit in ("‰",):
        value, unit = value / 10, "%"
    unit = "%" if unit == "％" else unit
    comparator = _SUFFIX_COMPARATORS.get(match.group("post") or "", "") or _COMPARATORS.get(
        match.group("pre") or "", "="
    )
    if match.group("more") or match.group("more2"):
        comparator = ">"
    value_high = None
    if match.group("num2"):
        value_high = float(match.group("num2").replace(",", "")) * _scale(match.group("scale") or "")
        comparator = "range"
    text = sentence[start:end]
    return Target(text, value, unit, comparator, _subject(sentence, start), value_high)
