"""Propose a status from the ranked evidence: completion vs. progress vs. failure wording, and figures.

A sentence saying a programme *started* is not proof it was *done*: progress words outweigh a
bare completion verb, and a reported figure compared with the plan's target outweighs both.
"""

from __future__ import annotations

import re

from spacy.util import registry

from commitments.engine.matching.figures import check_targets, is_growth
from commitments.engine.types import STATUS_LABELS, EvidenceSpan, Target


@registry.misc("commitments.status_cues.v2")
def status_cues_v2() -> dict[str, list[str]]:
    return {
        # The review says it did not happen (or not in time).
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
            "尚无",
            "未列入",
            "未获",
            "未落实",
            "不及预期",
            "延至",
        ],
        # Under way, drafted, piloted or planned for later: not done yet.
        "progress": [
            "启动",
            "正在",
            "初步",
            "试点",
            "起草",
            "征求意见",
            "初稿",
            "草案",
            "送审稿",
            "论证",
            "筹备",
            "筹建",
            "部分完成",
            "完成其中",  # "年内完成其中7项行动任务": some of them
            "部分实现",
            "推进中",
            "逐步",
            "开工",
            "在建",
            "阶段性",
            "先行",
            "遴选",
            "前期",
            "有待",
            "尚待",
            "仍在",
            "研究制定中",
            "成形",
            "拟于",
            "计划于",
            "将于",
            "纳入20",
            "计划20",  # "计划2023年建成使用": a date ahead, not done
            "预计20",
            "争取20",
            "可行性研究",
            "封顶",
            "方案设计",
            "一期",
            "首批",
            # A problem the review says persists ("形式主义、官僚主义仍然突出"): not fully achieved.
            "仍然突出",
            "依然突出",
            "仍较突出",
            "仍然存在",
            "依然存在",
            "仍然较多",
            "依然较多",
        ],
        # Done: the default reading of a review sentence that reports an action.
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


CUES = status_cues_v2()
FAILED_RE = re.compile("|".join(map(re.escape, CUES["failed"])))
PROGRESS_RE = re.compile("|".join(map(re.escape, CUES["progress"])))
DONE_RE = re.compile("|".join(map(re.escape, CUES["done"])))
PUNCT_RE = re.compile(r"[，,。；;：:、！!？?]")
CUE_RE = re.compile(
    "|".join(f"(?P<{name}>{'|'.join(map(re.escape, sorted(CUES[name], key=len, reverse=True)))})" for name in CUES)
)


NEGATION_REACH = 4  # "尚未正式出台", "未能按期完成": a failure word governs the verb just after it
# "启动实施", "初步建成", "逐步实现": a progress word makes the verb right after it progress too.
PROGRESS_REACH = 1
# "拟于2023年上半年提请印发", "延至2023年开展": a word that puts the action in the future governs
# the rest of its clause.
# After a failure word, a degree adverb says "not fully": 尚未有效缓解, 未能全面完成, 尚未根本扭转.
PARTLY_RE = re.compile(r"(?:有效|根本|完全|彻底|全面|全部)")
FUTURE_CUES = frozenset(["拟于", "计划于", "将于", "延至", "推迟", "计划20", "预计20", "争取20"])


def cue_sequence(text: str) -> list[tuple[str, str, int]]:
    """(kind, word, position) of each status word that is not governed by the one before it."""
    cues: list[tuple[str, str, int]] = []
    governor: tuple[str, int, float] | None = None  # kind, end, reach
    for match in CUE_RE.finditer(text):
        kind = match.lastgroup
        if governor is not None:
            gap = text[governor[1] : match.start()]
            governs = kind == "done" or (governor[0] == "failed" and kind == "progress")
            if governs and len(gap) <= governor[2] and not PUNCT_RE.search(gap):
                continue  # governed: still failed, or still under way
        word = match.group(0)
        if kind == "failed" and PARTLY_RE.match(text, match.end()):
            # "尚未有效缓解", "尚未全面完成": not fully done is under way, not failed; it still
            # governs the verb after it.
            cues.append(("progress", word, match.start()))
            governor = ("failed", match.end(), NEGATION_REACH)
            continue
        cues.append((kind, word, match.start()))
        if word in FUTURE_CUES:
            governor = (kind, match.end(), float("inf"))
        elif kind == "failed":
            governor = (kind, match.end(), NEGATION_REACH)
        elif kind == "progress":
            governor = (kind, match.end(), PROGRESS_REACH)
        else:
            governor = None
    return cues


def last_cue(text: str) -> tuple[str, str] | None:
    """(kind, word) of the last status word in a sentence: "已完成起草…尚未出台" ends as failed."""
    cues = cue_sequence(text)
    return (cues[-1][0], cues[-1][1]) if cues else None


# "年内完成其中7项行动任务", "部分实现": however the sentence goes on, only some of it was done.
SOME_DONE_RE = re.compile(r"完成其中|部分完成|部分实现|部分建成")


def _sentence_cue(text: str) -> tuple[str, str] | None:
    cue = last_cue(text)
    some = SOME_DONE_RE.search(text)
    if some and cue is not None and cue[0] == "done":
        return ("progress", some.group(0))
    return cue


def mixed_outcome(text: str) -> tuple[str, str] | None:
    """The failure word of a sentence that reports one thing done and, in another clause, another
    thing not done ("制定…实施方案，…，实地试点工作延至2023年开展"): a partial outcome."""
    cues = cue_sequence(text)
    failed = [(word, pos) for kind, word, pos in cues if kind == "failed"]
    done = [pos for kind, _, pos in cues if kind == "done"]
    for word, pos in failed:
        if any(PUNCT_RE.search(text[min(pos, d) : max(pos, d)]) for d in done):
            return ("failed", word)
    return None


NO_EVIDENCE_BELOW = 0.27  # best evidence score under which the review is taken as silent
# A vague commitment needs a clearer report: rhetoric in the plan finds rhetoric in the review.
VAGUE_EVIDENCE_BELOW = 0.33
CLOSE_TO_BEST = 0.8  # other evidence within this share of the best also speaks for the status


def propose_status(
    *,
    vague: bool,
    targets: tuple[Target, ...],
    evidence: list[EvidenceSpan],
    action_units: list[str | None] = (),
    reported: bool = False,
) -> tuple[str, float, str]:
    """(status, confidence, one-line Chinese reason) for one commitment.

    A vague commitment is `unverifiable` unless the review clearly reports on it.

    `action_units` holds, for each sub-action of the commitment (its comma-separated actions),
    the review sentence that best reports it, or None when the review is silent about it.
    `reported=True` reads the evidence as if the review reports on the commitment, skipping the rule
    score's silence thresholds: the status model (judge.py) makes that call.
    """
    best = evidence[0] if evidence else None
    best_score = best.score if best else 0.0
    if reported and best is not None:
        if vague and best_score < VAGUE_EVIDENCE_BELOW:
            return "unverifiable", 0.5, "表述笼统，无法核验；回顾中只有泛泛的相关表述"
    elif best is None or best_score < (VAGUE_EVIDENCE_BELOW if vague else NO_EVIDENCE_BELOW):
        confidence = 0.5 + 0.5 * max(0.0, 1 - best_score / NO_EVIDENCE_BELOW) if best else 0.95
        if not vague:
            return "no_evidence", round(min(confidence, 0.95), 3), "回顾中未找到与该承诺相关的表述"
        # Silence is a fact about the review whatever the wording of the plan: a vague commitment
        # the review never comes near is not mentioned; one it talks around cannot be checked.
        if best_score < NO_EVIDENCE_BELOW:
            return "no_evidence", round(min(confidence, 0.95), 3), "回顾中未找到相关表述（承诺表述笼统）"
        return "unverifiable", 0.5, "表述笼统，无法核验；回顾中只有泛泛的相关表述"

    strength = min(1.0, best_score / 0.6)
    support = [ev for ev in evidence if ev.score >= CLOSE_TO_BEST * best_score]
    checks = check_targets(targets, support)
    outcomes = {c.outcome for c in checks}
    figures = "；".join(c.describe() for c in checks)

    sentences = list(dict.fromkeys([best.text, *(ev.text for ev in support[1:]), *filter(None, action_units)]))
    cues = {text: _sentence_cue(text) for text in sentences}
    failed = [(t, c[1]) for t, c in cues.items() if c and c[0] == "failed"]
    progress = [(t, c[1]) for t, c in cues.items() if c and c[0] == "progress"]
    silent = [u for u in action_units if u is None]
    best_cue = cues.get(best.text)

    def answer(status: str, base: float, reason: str) -> tuple[str, float, str]:
        # A vague commitment that the review nevertheless reports on is judged on that report.
        note = "（表述笼统）" if vague else ""
        confidence = base + 0.3 * strength - (0.1 if vague else 0)
        return status, round(min(0.95, confidence), 3), f"{STATUS_LABELS[status]}{note}：{reason}"

    if failed:
        text, word = failed[0]
        # The best sentence itself says it failed: only another close sentence reporting it done
        # (a different part of the commitment) makes it partial.
        others_done = any(
            cues.get(ev.text) and cues[ev.text][0] == "done"
            for ev in support
            if ev.text != best.text and ev.score >= 0.9 * best_score
        )
        mixed = mixed_outcome(best.text) is not None  # done in one clause, not done in another
        if best_cue and best_cue[0] == "failed" and not others_done and not mixed and "met" not in outcomes:
            return answer("not_fulfilled", 0.6, f"回顾称“{_short(text)}”（“{word}”）")
        return answer("partial", 0.5, f"有进展，但回顾也称“{_short(text)}”（“{word}”）")
    if "missed" in outcomes and "met" not in outcomes:
        growth = any(is_growth(c.target) for c in checks if c.outcome == "missed")
        return answer("not_fulfilled" if growth else "partial", 0.55, figures)
    if outcomes - {"met"}:
        return answer("partial", 0.55, figures)
    # "启动了《X》编写" ranked beside "完成《X》编写": the same thing was started, then done.
    done_nearby = any(
        cues.get(ev.text) and cues[ev.text][0] == "done"
        for ev in support
        if ev.parts.get("document", 0) > 0 and best.parts.get("document", 0) > 0
    )
    if best_cue and best_cue[0] == "progress" and done_nearby:
        best_cue = next(cues[ev.text] for ev in support if cues.get(ev.text) and cues[ev.text][0] == "done")
        progress = [(t, w) for t, w in progress if t != best.text]  # started, then done: done
    admitted = [ev for ev in support if ev.problem]
    if admitted and outcomes != {"met"}:
        # The review names a problem about it among its closest sentences: not fully achieved.
        return answer("partial", 0.45, f"回顾在问题部分提到“{_short(admitted[0].text)}”")
    if progress and (best_cue is None or best_cue[0] == "progress" or len(action_units) > 1):
        text, word = progress[0]
        return answer("partial", 0.5, f"回顾只说到进展（“{word}”）：“{_short(text)}”")
    if len(action_units) >= 2 and len(silent) * 2 > len(action_units):
        covered = len(action_units) - len(silent)
        return answer("partial", 0.45, f"{len(action_units)}项举措中回顾只提到{covered}项：“{_short(best.text)}”")
    if outcomes == {"met"}:
        return answer("fulfilled", 0.65, figures)
    if best_cue:
        return answer("fulfilled", 0.55, f"回顾称“{_short(best.text)}”（“{best_cue[1]}”）")
    return answer("fulfilled", 0.35, f"（依据较弱）回顾提到“{_short(best.text)}”")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
