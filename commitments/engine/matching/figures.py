"""A figure the review reports against a target the plan set: which reported figure answers which target, and whether it was met.

One reported figure answers one planned figure, the one whose subject it names (农村公路30多万公里 for
新建改建农村公路20万公里, not 高速公路6000多公里 beside it); figures where less is better are ceilings;
a sum over several years is not compared with a year's target."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from commitments.engine.nlp.targets import parse_targets
from commitments.engine.types import EvidenceSpan, Target


@dataclass(frozen=True)
class TargetCheck:
    target: Target
    reported: Target
    outcome: str  # "met" | "near" | "missed"

    def describe(self) -> str:
        verdict = {"met": "已达到", "near": "接近但未达到", "missed": "未达到"}[self.outcome]
        return f"目标{self.target.text}，实际{self.reported.text}，{verdict}"


GROWTH_RE = re.compile(r"(?:增长|提高|提升|增加|下降|降低|减少|压减|压缩)(?=[\d百])")


def is_growth(target: Target) -> bool:
    """A rate of change ("增长6.5%左右", "下降3%以上"), whatever its comparator says about precision."""
    return target.comparator in ("+", "-") or bool(GROWTH_RE.match(target.text))


# Figures where less is better: a plan's "居民消费价格涨幅3%左右" or "失业率5%" is a ceiling even
# when it does not say 以内, and a reported 2.1% meets it.
CEILING_RE = re.compile(r"(?:价格|物价).*(?:涨幅|上涨)|失业率|赤字率|能耗|排放量|事故|死亡率|发病率|发生率|负债率")


def is_ceiling(target: Target) -> bool:
    if target.comparator in ("<", "<="):
        return True
    return target.comparator in ("~", "=") and bool(CEILING_RE.search(target.subject))


def compare_target(target: Target, reported: Target) -> str:
    planned, actual = target.value, reported.value
    if planned is None or actual is None or planned == 0:
        return "met" if actual else "missed"
    ratio = (planned / actual if actual else 2.0) if is_ceiling(target) else actual / planned
    if target.comparator == "~":
        ratio = min(ratio * 1.02, ratio + 0.02)  # 左右: a little under still counts
    if ratio >= 1.0 - 1e-9:
        return "met"
    return "near" if ratio >= 0.95 else "missed"


PERSON_UNITS = frozenset({"人", "人次", "万人次"})


def _same_unit(a: Target, b: Target) -> bool:
    return a.unit == b.unit or {a.unit, b.unit} <= PERSON_UNITS


@functools.lru_cache(maxsize=20_000)
def _bigrams(text: str) -> frozenset[str]:
    han = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    return frozenset(han[i : i + 2] for i in range(len(han) - 1))


# Words that say a figure is money spent, not the thing achieved: compared only with money spent.
INPUT_RE = re.compile(r"投资|资金|投入|拨付|支出")


# A figure summed over several years ("五年共投资6.2亿元") says nothing about one year's target.
SPAN_SUBJECT_RE = re.compile(r"[两三四五]年|累计|以来|期间")


def _comparable(target: Target, reported: Target, sentence: str) -> bool:
    """Same unit, and the figures are about the same thing (their subjects share words)."""
    if not _same_unit(target, reported):
        return False
    if SPAN_SUBJECT_RE.search(reported.subject) and not SPAN_SUBJECT_RE.search(target.subject):
        return False
    if bool(INPUT_RE.search(target.subject)) != bool(INPUT_RE.search(reported.subject)):
        return False
    planned = _subject_grams(target)
    if not planned:
        return True
    return bool(planned & _bigrams(reported.subject)) or bool(planned & _bigrams(sentence[:60]))


def _subject_grams(target: Target) -> set[str]:
    return _bigrams(target.subject) - {"全市", "全县", "全区", "年内", "全年", "力争"}


def measure_key(figure: Target, *, planned: bool = False) -> tuple[str, frozenset[str]]:
    """(unit class, subject bigrams): a reported figure measures what a target does when the unit
    classes are equal and the bigrams meet (护理型床位占比 / 护理型床位), whatever else the sentence says."""
    unit = "人" if figure.unit in PERSON_UNITS else figure.unit
    return unit, (_subject_grams(figure) if planned else _bigrams(figure.subject))


def _agreement(planned: set[str], reported: set[str]) -> float:
    """Dice overlap of two subjects: of 高速公路6000多公里 and 农村公路30多万公里, the plan's
    新建改建农村公路 agrees with the second, though it shares more words (新建改建) with the first."""
    return 2 * len(planned & reported) / (len(planned) + len(reported)) if planned or reported else 0.0


def check_targets(targets: tuple[Target, ...], evidence: list[EvidenceSpan]) -> list[TargetCheck]:
    """For each planned figure, the best comparable reported figure in the evidence, compared."""
    reported = [(t, ev.text) for ev in evidence for t in parse_targets(ev.text)]
    options = []  # (subject overlap, target index, reported index)
    for i, target in enumerate(targets):
        candidates = [k for k, (r, sentence) in enumerate(reported) if _comparable(target, r, sentence)]
        if is_growth(target):
            growth = [k for k in candidates if is_growth(reported[k][0])]
            candidates = growth or candidates
        planned = _bigrams(target.subject)
        options += [(_agreement(planned, _bigrams(reported[k][0].subject)), i, k) for k in candidates]
    # One reported figure answers one planned figure: "调查失业率5%左右" is the answer to the
    # 调查失业率 target, not also to the 登记失业率 one beside it. Best subject agreement first.
    chosen: dict[int, int] = {}
    for _, i, k in sorted(options, key=lambda o: (-o[0], o[1], o[2])):
        if i not in chosen and k not in chosen.values():
            chosen[i] = k
    return [
        TargetCheck(targets[i], reported[k][0], compare_target(targets[i], reported[k][0]))
        for i, k in sorted(chosen.items())
    ]
