"""Propose a status from the ranked evidence: completion vs. progress vs. failure wording, and figures.

A sentence saying a programme *started* is not proof it was *done*: progress words outweigh a
bare completion verb, and a reported figure compared with the plan's target outweighs both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.util import registry

from commitments.extraction import Target
from commitments.matching.types import STATUS_LABELS, Evidence
from commitments.nlp.targets import parse_targets


@registry.misc("commitments.status_cues.v1")
def status_cues_v1() -> dict[str, list[str]]:
    return {
        "failed": [
            "尚未",
            "未能",
            "没有",
            "未完成",
            "未达到",
            "未达",
            "未实现",
            "未建成",
            "未出台",
            "未如期",
            "未按期",
            "仍未",
            "暂未",
            "未启动",
            "未开展",
            "未建立",
            "未制定",
            "未通过",
            "滞后",
            "缓慢",
            "推迟",
            "延期",
            "搁置",
            "落空",
            "不到位",
            "无公办",
            "尚无",
            "未列入",
            "未获",
            "未落实",
        ],
        "progress": [
            "启动",
            "正在",
            "初步",
            "试点",
            "起草",
            "征求意见",
            "初稿",
            "草案",
            "论证",
            "筹备",
            "部分",
            "基本",
            "有序推进",
            "稳步推进",
            "加快推进",
            "推进中",
            "逐步",
            "开工",
            "在建",
            "进展",
            "阶段性",
            "先行",
            "遴选",
            "形成",
            "待",
            "筹建",
            "前期",
            "有待",
            "继续推进",
            "持续推进",
            "一期",
            "成形",
        ],
        "done": [
            "完成",
            "实现",
            "建成",
            "出台",
            "印发",
            "达到",
            "全覆盖",
            "全部",
            "均已",
            "通过",
            "举办",
            "召开",
            "开展",
            "发放",
            "新增",
            "建立",
            "成立",
            "上线",
            "运行",
            "落实",
            "实施",
            "制定",
            "修订",
            "组织",
            "投入使用",
            "竣工",
            "运营",
            "保持",
            "增长",
            "提高到",
            "提升至",
            "累计",
            "共",
            "已",
        ],
    }


CUES = status_cues_v1()
FAILED_RE = re.compile("|".join(map(re.escape, CUES["failed"])))
PROGRESS_RE = re.compile("|".join(map(re.escape, CUES["progress"])))
DONE_RE = re.compile("|".join(map(re.escape, CUES["done"])))

NO_EVIDENCE_BELOW = 0.34  # best evidence score under which the review is taken as silent
CLOSE_TO_BEST = 0.8  # other evidence within this share of the best also speaks for the status


@dataclass(frozen=True)
class TargetCheck:
    target: Target
    reported: Target
    outcome: str  # "met" | "near" | "missed"

    def describe(self) -> str:
        verdict = {"met": "已达到", "near": "接近但未达到", "missed": "未达到"}[self.outcome]
        return f"目标{self.target.text}，实际{self.reported.text}，{verdict}"


def compare_target(target: Target, reported: Target) -> str:
    planned, actual = target.value, reported.value
    if planned is None or actual is None or planned == 0:
        return "met" if actual else "missed"
    if target.comparator in ("<", "<="):
        ratio = planned / actual if actual else 2.0
    else:
        ratio = actual / planned
    if target.comparator == "~":
        ratio = min(ratio * 1.02, ratio + 0.02)  # 左右: a little under still counts
    if ratio >= 1.0 - 1e-9:
        return "met"
    return "near" if ratio >= 0.95 else "missed"


def _same_unit(a: Target, b: Target) -> bool:
    return a.unit == b.unit or {a.unit, b.unit} <= {"人", "人次", "万人次"}


def check_targets(targets: tuple[Target, ...], evidence: list[Evidence]) -> list[TargetCheck]:
    """For each planned figure, the best-matching reported figure in the evidence, compared."""
    checks = []
    reported = [t for ev in evidence for t in parse_targets(ev.text)]
    for target in targets:
        candidates = [r for r in reported if _same_unit(target, r)]
        if target.comparator in ("+", "-"):
            growth = [r for r in candidates if r.comparator == target.comparator]
            candidates = growth or candidates
        if not candidates:
            continue
        subject_chars = set(target.subject)
        best = max(candidates, key=lambda r: len(subject_chars & set(r.subject)))
        checks.append(TargetCheck(target, best, compare_target(target, best)))
    return checks


def propose_status(*, vague: bool, targets: tuple[Target, ...], evidence: list[Evidence]) -> tuple[str, float, str]:
    """(status, confidence, one-line Chinese reason) for one commitment."""
    best = evidence[0] if evidence else None
    best_score = best.score if best else 0.0
    if best is None or best_score < NO_EVIDENCE_BELOW:
        confidence = 0.5 + 0.5 * (1 - best_score / NO_EVIDENCE_BELOW) if best else 0.95
        status = "unverifiable" if vague else "no_evidence"
        reason = "表述笼统，无法核验；回顾中也未见相关表述" if vague else "回顾中未找到与该承诺相关的表述"
        return status, round(min(confidence, 0.95), 3), reason
    if vague:
        return "unverifiable", 0.6, f"表述笼统，无法核验；最相关的回顾表述：“{_short(best.text)}”"

    support = [ev for ev in evidence if ev.score >= CLOSE_TO_BEST * best_score]
    checks = check_targets(targets, support)
    best_text = best.text
    failed = FAILED_RE.search(best_text)
    progress = PROGRESS_RE.search(best_text)
    done = DONE_RE.search(best_text)
    others_done = any(DONE_RE.search(ev.text) and not FAILED_RE.search(ev.text) for ev in support[1:])
    strength = min(1.0, best_score / 0.8)

    if checks:
        outcomes = {c.outcome for c in checks}
        detail = "；".join(c.describe() for c in checks)
        if outcomes == {"met"}:
            status, confidence = "fulfilled", 0.6 + 0.35 * strength
        elif "met" in outcomes or "near" in outcomes:
            status, confidence = "partial", 0.55 + 0.3 * strength
        elif any(c.target.comparator in ("+", "-") for c in checks):
            status, confidence = "not_fulfilled", 0.55 + 0.3 * strength
        else:
            status, confidence = "partial", 0.5 + 0.3 * strength
        return status, round(confidence, 3), f"{STATUS_LABELS[status]}：{detail}"
    if failed:
        if others_done or (done and done.start() < failed.start() and progress is None):
            status, cue, confidence = "partial", failed.group(0), 0.5 + 0.3 * strength
        else:
            status, cue, confidence = "not_fulfilled", failed.group(0), 0.55 + 0.35 * strength
        return status, round(confidence, 3), f"{STATUS_LABELS[status]}：回顾称“{_short(best_text)}”（“{cue}”）"
    if progress and not (done and others_done):
        return (
            "partial",
            round(0.5 + 0.3 * strength, 3),
            f"部分完成：回顾只说到进展（“{progress.group(0)}”）：“{_short(best_text)}”",
        )
    if done:
        return (
            "fulfilled",
            round(0.5 + 0.4 * strength, 3),
            f"已完成：回顾称“{_short(best_text)}”（“{done.group(0)}”）",
        )
    return "fulfilled", round(0.35 + 0.3 * strength, 3), f"已完成（依据较弱）：回顾提到“{_short(best_text)}”"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
