"""Key terms and their rarity: the lexical half of the evidence score.

Terms are jieba words of two or more characters with at least one Han character; weights are
inverse document frequencies over the clauses of the bureau's own reports, so that words every
report repeats (工作, 推进, 全市) weigh little and the rare ones (适老化, 界桩) decide.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

from commitments.nlp.pipeline import get_pipeline

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
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


def content_terms(text: str) -> list[str]:
    """The words of `text` that can say what it is about, in order, without repeats."""
    tokens = get_pipeline().tokenizer(text)
    seen: dict[str, None] = {}
    for token in tokens:
        word = token.text
        if len(word) >= 2 and HAN_RE.search(word) and word not in STOP_TERMS:
            seen.setdefault(word, None)
    return list(seen)


class TermSpace:
    """A vocabulary with IDF weights, turning texts into rows of a sparse-enough 0/1 matrix."""

    def __init__(self, documents: Iterable[Sequence[str]]):
        df: dict[str, int] = {}
        n = 0
        for terms in documents:
            n += 1
            for term in set(terms):
                df[term] = df.get(term, 0) + 1
        self.index = {term: i for i, term in enumerate(sorted(df))}
        self.idf = np.ones(len(self.index), dtype=np.float32)
        for term, i in self.index.items():
            self.idf[i] = math.log((n + 1) / (df[term] + 1)) + 1.0

    def matrix(self, term_lists: Sequence[Sequence[str]]) -> np.ndarray:
        m = np.zeros((len(term_lists), len(self.index)), dtype=np.float32)
        for row, terms in enumerate(term_lists):
            for term in terms:
                i = self.index.get(term)
                if i is not None:
                    m[row, i] = 1.0
        return m

    def weight(self, term: str) -> float:
        i = self.index.get(term)
        return float(self.idf[i]) if i is not None else 0.0


def corpus_clauses(texts: Iterable[str]) -> list[str]:
    return [c for text in texts for c in CLAUSE_SPLIT_RE.split(text) if HAN_RE.search(c)]


def coverage(query: np.ndarray, target: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Share of each query row's IDF mass found in each target row: an (n, m) matrix in [0, 1]."""
    weighted = query * idf
    mass = weighted.sum(axis=1, keepdims=True)
    mass[mass == 0] = 1.0
    return (weighted @ target.T) / mass
