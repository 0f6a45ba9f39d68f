"""What the concrete / vague / not-a-commitment call sees of a clause.

Three views: the vagueness component's cues as numbers (named documents, targets, deadlines, concrete
objects, hard and soft verbs, rhetoric, judgement and guiding-line patterns, where the clause sits),
its characters (1–2 grams) and its words (jieba, 1–2 grams). The rules' own call (`vague`) is a cue
too: the fitted model learns how far to trust it on each kind of text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from commitments.engine.nlp.components.vagueness import DESCRIPTIVE_RE, EVENT_RE, GUIDING_RE, QUOTED_NAME_RE
from commitments.engine.types import CommitmentSpan

# A counted thing: a digit, or a Chinese numeral with a unit or measure word.
COUNTED_RE = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+(?:个|家|所|项|条|座|名|户|人|公里|万|亿|批|次|年)")
# A clause that describes the situation or addresses the audience rather than assigning a task.
SITUATION_RE = re.compile(r"(?:当前|目前|今年|过去|我们|我国|这|此|同时|各位代表)")
HEADING_BEFORE_RE = re.compile(r"\n(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)[^\n]*$")
LEAD_BEFORE_RE = re.compile(r"[一二三四五六七八九十]+是$")
# A plan clause that reports or comments instead of assigning: one that looks back (去年居民消费价格涨幅回落到2.6%),
# weighs (抓好这些项目，是…的关键; 创新创造关键在人), announces a list (要把握好以下几点), or ends on a done verb.
PAST_START_RE = re.compile(r"^(?:去年|过去|上年|前年|\d{4}年(?:，|是)|这是|这些|近年来|多年来)")
JUDGEMENT_PHRASE_RE = re.compile(
    r"(?:关键在|试金石|是[^，]{0,20}(?:关键|重要一年|关键一年|保障|基础)|为[^，]{2,20}提供了|影响约|有关$)"
)
LEAD_IN_RE = re.compile(r"(?:以下几点|以下几个方面|以下工作|如下)")
PERFECTIVE_RE = re.compile(r"(?:了|已经|已)[^，]{0,6}$|取得|实现了|达到了|增长了|下降了|回落|圆满|收官|胜利完成")
CONTEXT_CHARS = 40

HAND_FEATURES = (
    "documents",
    "targets",
    "deadline",
    "named_event",
    "book_title",
    "counted",
    "percent",
    "concrete_objects",
    "hard_verbs",
    "soft_verbs",
    "no_verb",
    "rhetoric",
    "judgement",
    "guiding_line",
    "length",
    "commas",
    "topic_depth",
    "paragraph_start",
    "after_heading",
    "situation_start",
    "must",
    "actions",
    "rule_vague",
    "past_start",
    "judgement_phrase",
    "lead_in",
    "perfective",
)


@dataclass(frozen=True)
class ClauseView:
    hand: dict[str, float]
    text: str  # for the character grams
    words: tuple[str, ...]


@lru_cache(maxsize=1)
def _cues() -> dict[str, list[str]]:
    from commitments.engine.nlp.cues import cue_words_v1

    return cue_words_v1()


def clause_view(span: CommitmentSpan, report_text: str) -> ClauseView:
    text = span.text
    cues = _cues()
    before = report_text[max(0, span.start - CONTEXT_CHARS) : span.start]
    hard = sum(1 for w in cues["concrete_actions"] if w in text)
    soft = sum(1 for w in cues["soft_actions"] if w in text)
    hand = {
        "documents": min(len(span.documents), 2),
        "targets": min(len(span.targets), 2),
        "deadline": bool(span.deadline),
        "named_event": bool(QUOTED_NAME_RE.search(text) or EVENT_RE.search(text)),
        "book_title": "《" in text,
        "counted": bool(COUNTED_RE.search(text)),
        "percent": "%" in text or "％" in text,
        "concrete_objects": min(sum(1 for o in cues["concrete_objects"] if o in text), 3),
        "hard_verbs": min(hard, 3),
        "soft_verbs": min(soft, 3),
        "no_verb": hard + soft == 0,
        "rhetoric": min(sum(1 for p in cues["rhetoric"] if p in text), 3),
        "judgement": bool(DESCRIPTIVE_RE.match(text)),
        "guiding_line": bool(GUIDING_RE.match(text)),
        "length": math.log(len(text) + 1),
        "commas": min(text.count("，"), 6) / 6,
        "topic_depth": min(len(span.topic_path), 4) / 4,
        "paragraph_start": before.rstrip(" \t\u3000").endswith("\n")
        or not before.strip()
        or bool(LEAD_BEFORE_RE.search(before)),
        "after_heading": bool(HEADING_BEFORE_RE.search(before)),
        "situation_start": bool(SITUATION_RE.match(text)),
        "must": text.startswith("要") or "必须" in text,
        "actions": min(len(span.actions), 3),
        "rule_vague": span.vague,
        "past_start": bool(PAST_START_RE.match(text)),
        "judgement_phrase": bool(JUDGEMENT_PHRASE_RE.search(text)),
        "lead_in": bool(LEAD_IN_RE.search(text)),
        "perfective": bool(PERFECTIVE_RE.search(text)),
    }
    return ClauseView(hand={k: float(v) for k, v in hand.items()}, text=text, words=tuple(_words(text)))


def _words(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


def char_grams(text: str) -> list[str]:
    """Character 1- and 2-grams, as scikit-learn's `analyzer="char", ngram_range=(1, 2)` makes them."""
    text = re.sub(r"\s\s+", " ", text)
    return [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)]


def word_grams(words: tuple[str, ...]) -> list[str]:
    """Word 1- and 2-grams joined by a space (scikit-learn's word n-grams over pre-cut words)."""
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
