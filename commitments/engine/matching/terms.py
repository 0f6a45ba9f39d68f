"""Key terms and their rarity: the lexical half of the evidence score.

Two views of the same text, because jieba segments one phrase differently in two sentences
(居民收入 / 居民人均可支配收入): words of two or more characters, and Han character bigrams.
Weights are inverse document frequencies over the clauses of the bureau's own reports, so that
words every report repeats (工作, 推进, 全市) weigh little and the rare ones (适老化, 界桩) decide.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence

import jieba
import numpy as np

from commitments.engine.nlp.pipeline import get_pipeline

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
HAN_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
QUOTES_RE = re.compile(r"[“”‘’\"'「」『』]")
CLAUSE_SPLIT_RE = re.compile(r"[。；;！!？?\n]+")
# Function words and report boilerplate that jieba keeps as words but carry no topic.
STOP_TERMS = frozenset(
    [
        "我们",
        "进一步",
        "不断",
        "积极",
        "全面",
        "深入",
        "切实",
        "有效",
        "认真",
        "持续",
        "大力",
        "扎实",
        "着力",
        "努力",
        "加快",
        "推进",
        "推动",
        "加强",
        "开展",
        "工作",
        "全市",
        "全县",
        "全区",
        "我市",
        "我县",
        "我区",
        "全省",
        "各级",
        "相关",
        "有关",
        "以及",
        "其中",
        "同时",
        "年度",
        "全年",
        "今年",
        "去年",
        "明年",
        "一批",
        "各类",
        "进行",
        "实现",
        "完成",
        "做好",
        "落实",
        "提升",
        "提高",
        "强化",
        "健全",
        "完善",
        "深化",
        "坚持",
        "确保",
        "重点",
        "主要",
        "一是",
        "二是",
        "三是",
        "四是",
        "五是",
        "六是",
        "七是",
        "八是",
        "九是",
        "十是",
        "方面",
        "情况",
        "问题",
        "水平",
        "能力",
        "作用",
        "力度",
        "体系",
        "机制",
        "建设",
    ]
)


COMMA_RE = re.compile(r"[，,]")


@functools.lru_cache(maxsize=100_000)
def content_terms(text: str) -> tuple[str, ...]:
    """The words of `text` that can say what it is about, in order, without repeats.

    Segmented per comma piece and cached: jieba never joins words across punctuation, so a text's
    words are the union of its pieces', and the passages of one sentence (see parts.unit_windows)
    share their pieces instead of segmenting them again.
    """
    pieces = COMMA_RE.split(text)
    if len(pieces) == 1:
        return _piece_terms(text)
    return tuple(dict.fromkeys(term for piece in pieces for term in _piece_terms(piece)))


@functools.lru_cache(maxsize=100_000)
def _piece_terms(text: str) -> tuple[str, ...]:
    get_pipeline()  # the pipeline loads jieba's policy-term dictionary; segment the same way
    seen: dict[str, None] = {}
    for word in jieba.cut(text):
        if len(word) >= 2 and HAN_RE.search(word) and word not in STOP_TERMS:
            seen.setdefault(word, None)
    return tuple(seen)


@functools.lru_cache(maxsize=100_000)
def char_bigrams(text: str) -> tuple[str, ...]:
    grams: dict[str, None] = {}
    for run in HAN_RUN_RE.findall(text):
        for i in range(len(run) - 1):
            grams.setdefault(run[i : i + 2], None)
    return tuple(grams)


@functools.lru_cache(maxsize=100_000)
def char_ngrams(text: str, n: int = 4) -> tuple[str, ...]:
    """Runs of `n` Han characters: two texts sharing several of them share a phrase
    (平安海拉尔建设, 落地签证业务), which a bag of words does not see. Quotation marks do not end a
    run: 市委巡察“回头看”反馈 is one phrase."""
    grams: dict[str, None] = {}
    for run in HAN_RUN_RE.findall(QUOTES_RE.sub("", text)):
        for i in range(len(run) - n + 1):
            grams.setdefault(run[i : i + n], None)
    return tuple(grams)


class Rarity:
    """Inverse document frequency of terms over a set of clauses."""

    def __init__(self, documents: Iterable[Iterable[str]]):
        df: dict[str, int] = {}
        n = 0
        for terms in documents:
            n += 1
            for term in set(terms):
                df[term] = df.get(term, 0) + 1
        self.n = n
        self.df = df

    def weight(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df.get(term, 0) + 1)) + 1.0

    def relative(self, term: str) -> float:
        """The weight as a share of the weight of a term seen nowhere else (0..1]."""
        return self.weight(term) / (math.log(self.n + 1) + 1.0)


def overlap(queries: Sequence[Sequence[str]], targets: Sequence[Sequence[str]], weight) -> np.ndarray:
    """Summed weight of the terms each query shares with each target: an (n, m) matrix."""
    q, t, w = _incidence(queries, targets, weight)
    return (q * w) @ t.T


def _incidence(queries, targets, weight):
    shared = sorted(set().union(*map(set, queries)) & set().union(*map(set, targets))) if queries and targets else []
    index = {term: i for i, term in enumerate(shared)}
    w = np.array([weight(t) for t in shared], dtype=np.float32)
    q = np.zeros((len(queries), len(shared)), dtype=np.float32)
    t = np.zeros((len(targets), len(shared)), dtype=np.float32)
    for row, terms in enumerate(queries):
        for term in terms:
            if term in index:
                q[row, index[term]] = 1.0
    for row, terms in enumerate(targets):
        for term in terms:
            if term in index:
                t[row, index[term]] = 1.0
    return q, t, w


def coverage(queries: Sequence[Sequence[str]], targets: Sequence[Sequence[str]], rarity: Rarity) -> np.ndarray:
    """Share of each query's rarity mass found in each target: an (n, m) matrix in [0, 1].

    Only terms that occur on both sides get a column, which keeps the matrices small.
    """
    q, t, idf = _incidence(queries, targets, rarity.weight)
    mass = np.array([sum(rarity.weight(term) for term in terms) or 1.0 for terms in queries], dtype=np.float32)
    return ((q * idf) @ t.T) / mass[:, None]


def corpus_clauses(texts: Iterable[str]) -> list[str]:
    return [c for text in texts for c in CLAUSE_SPLIT_RE.split(text) if HAN_RE.search(c)]


ABBREVIATION_GAP = 4  # characters allowed between the two characters of an abbreviation in its full form
# An abbreviation of a policy term (低保, 联检, 社工) is rare in general Chinese, if jieba knows it at
# all (棚改); a common two-character word (中国, 业务, 建成) is not taken for one.
ABBREVIATION_MAX_FREQ = 15  # in jieba's general dictionary
_SHORT_RE = re.compile(r"^[\u4e00-\u9fff]{2}$")


def abbreviation_expansions(
    terms: Sequence[Sequence[str]], other_texts: Sequence[str], other_terms: Sequence[Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The two-character terms of one side that abbreviate a phrase of the other, with the words of
    that phrase: {"低保": ("最低", "生活", "保障")}, {"棚改": ("棚户区", "住房", "改造")}.

    Reports abbreviate freely and a plan and its review rarely agree on when. A term abbreviates a
    phrase when its two characters appear there in order, close together and not adjacent, across
    two or more words, and either jieba's dictionary knows it as a rare word (低保, 社工, 联检) or
    each of its characters begins a word of the phrase (棚|户区 住房 改|造, 上|海 合|作). A common
    word (中国 across 中俄蒙国际) or a chance pair inside words (提供优质 for 提质) is not one.
    """
    get_pipeline()  # jieba's dictionary, with the policy terms, is loaded
    frequency = jieba.dt.FREQ
    shorts = sorted(
        {t for group in terms for t in group if _SHORT_RE.match(t) and frequency.get(t, 0) <= ABBREVIATION_MAX_FREQ}
    )
    by_char: dict[str, set[int]] = {}
    for index, text in enumerate(other_texts):
        for ch in set(text):
            by_char.setdefault(ch, set()).add(index)
    expansions: dict[str, dict[str, None]] = {}
    for short in shorts:
        first, last = short
        attested = frequency.get(short, 0) > 0
        for index in sorted(by_char.get(first, set()) & by_char.get(last, set())):
            text = other_texts[index]
            if short in text:
                continue
            for start, end in _spellings(text, first, last):
                words = {
                    position: word
                    for word in other_terms[index]
                    for position in _positions(text, word)
                    if position < end and position + len(word) > start
                }
                if len(set(words.values())) < 2:  # inside one word, not a phrase of several
                    continue
                if attested or (start in words and end - 1 in words):
                    expansions.setdefault(short, {}).update(dict.fromkeys(words[p] for p in sorted(words)))
    return {short: tuple(words) for short, words in expansions.items()}


def _spellings(text: str, first: str, last: str) -> list[tuple[int, int]]:
    """Spans first…last with 1 to ABBREVIATION_GAP Han characters between (no regex: compiling a
    pattern with the Han range per term cost more than the whole search)."""
    spans = []
    for start in _positions(text, first):
        if start + 1 >= len(text) or not "\u4e00" <= text[start + 1] <= "\u9fff":
            continue
        for end in range(start + 2, min(len(text), start + ABBREVIATION_GAP + 2)):
            ch = text[end]
            if ch == last:
                spans.append((start, end + 1))
                break
            if not "\u4e00" <= ch <= "\u9fff":
                break
    return spans


def _positions(text: str, word: str) -> list[int]:
    found, position = [], text.find(word)
    while position != -1:
        found.append(position)
        position = text.find(word, position + 1)
    return found


def with_expansions(terms: Sequence[Sequence[str]], expansions: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Each term list with the words its abbreviations stand for added after it."""
    if not expansions:
        return [tuple(t) for t in terms]
    return [tuple(dict.fromkeys([*group, *(w for t in group for w in expansions.get(t, ()))])) for group in terms]
