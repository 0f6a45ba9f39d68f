"""连续提出: a plan commitment that comes back in the same bureau's plan of the next year.

Plan-to-plan, not plan-to-review: a task promised again a year later was usually not finished, and readers
want to see that pattern. Two commitments are "the same" when their TF-IDF vectors of character bigrams
have a cosine of at least CARRY_OVER_MIN; character bigrams need no segmenter or model, so the bureau page
computes this on the fly (a few milliseconds for hundreds of commitments) from one query.
Vague commitments (slogans repeated every year) are left out: repeating a slogan is not carrying over a task.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

from commitments.models import Commitment

CARRY_OVER_MIN = 0.45
_HAN = re.compile(r"[\u4e00-\u9fff]+|[0-9.%]+")


def bigrams(text: str) -> Counter:
    grams: Counter = Counter()
    for run in _HAN.findall(text):
        if len(run) == 1:
            grams[run] += 1
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def similar_pairs(earlier: list[str], later: list[str], *, threshold: float = CARRY_OVER_MIN) -> list[tuple[int, int]]:
    """(i, j) for every earlier[i] whose best match later[j] reaches the threshold; one matrix product."""
    if not earlier or not later:
        return []
    counts = [bigrams(text) for text in earlier + later]
    df = Counter(gram for count in counts for gram in count)
    vocabulary = {gram: index for index, gram in enumerate(df)}
    documents = len(counts)
    matrix = np.zeros((documents, len(vocabulary)), dtype=np.float32)
    for row, count in enumerate(counts):
        for gram, n in count.items():
            matrix[row, vocabulary[gram]] = (1 + math.log(n)) * math.log((1 + documents) / (1 + df[gram]) + 1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    similarity = matrix[: len(earlier)] @ matrix[len(earlier) :].T
    best = similarity.argmax(axis=1)
    return [(i, int(j)) for i, j in enumerate(best) if similarity[i, j] >= threshold]


def carried_over(rows: Iterable[tuple[int, int | None, str]]) -> dict[int, dict[str, list[int]]]:
    """For (id, plan year, text) rows of one bureau: id → {"again": later years it recurs in,
    "from": earlier years it recurs from}."""
    by_year: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, year, text in rows:
        if year is not None:
            by_year[year].append((pk, text))
    links: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"again": [], "from": []})
    for year in sorted(by_year):
        later = by_year.get(year + 1)
        if not later:
            continue
        earlier = by_year[year]
        for i, j in similar_pairs([text for _, text in earlier], [text for _, text in later]):
            links[earlier[i][0]]["again"].append(year + 1)
            links[later[j][0]]["from"].append(year)
    return {pk: {key: sorted(set(years)) for key, years in link.items()} for pk, link in links.items()}


def annotate_carried_over(commitments: list[Commitment], *, bureau_id: int) -> None:
    """Sets `carried_over` ({"again": [...], "from": [...]}) on each listed commitment, from one query."""
    rows = Commitment.objects.filter(section__report__bureau_id=bureau_id, vague=False).values_list(
        "pk", "section__year", "text"
    )
    links = carried_over(rows)
    for commitment in commitments:
        commitment.carried_over = links.get(commitment.pk, {"again": [], "from": []})
