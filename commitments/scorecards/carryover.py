"""连续提出: a plan commitment that comes back in the same bureau's plan of the next year.

Plan-to-plan, not plan-to-review: a task promised again a year later was usually not finished, and readers
want to see that pattern. Two commitments are "the same" when their TF-IDF vectors of character bigrams
have a cosine of at least CARRY_OVER_MIN; character bigrams need no segmenter or model, so the bureau page
computes this on the fly (a few milliseconds for hundreds of commitments) from one query.
Vague commitments (slogans repeated every year) are left out: repeating a slogan is not carrying over a task.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np
from threadpoolctl import ThreadpoolController

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


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread():
    """Small products: a second BLAS thread only waits for a busy core (100× slower seen under load)."""
    return _controller().limit(limits=1, user_api="blas")


def similar_pairs(
    earlier: list[str] | list[Counter], later: list[str] | list[Counter], *, threshold: float = CARRY_OVER_MIN
) -> list[tuple[int, int]]:
    """(i, j) for every earlier[i] whose best match later[j] reaches the threshold; one matrix product.

    Texts or their bigram counts (so a caller comparing several years counts each text once).
    """
    if not earlier or not later:
        return []
    counts = [item if isinstance(item, Counter) else bigrams(item) for item in [*earlier, *later]]
    vocabulary: dict[str, int] = {}
    rows, columns, values = [], [], []
    for row, count in enumerate(counts):
        for gram, n in count.items():
            rows.append(row)
            columns.append(vocabulary.setdefault(gram, len(vocabulary)))
            values.append(n)
    rows_a, columns_a = np.asarray(rows), np.asarray(columns)
    df = np.bincount(columns_a, minlength=len(vocabulary))
    idf = np.log((1 + len(counts)) / (1 + df) + 1)
    matrix = np.zeros((len(counts), len(vocabulary)), dtype=np.float32)
    matrix[rows_a, columns_a] = (1 + np.log(np.asarray(values, dtype=np.float32))) * idf[columns_a]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    with _one_blas_thread():
        similarity = matrix[: len(earlier)] @ matrix[len(earlier) :].T
    best = similarity.argmax(axis=1)
    return [(i, int(j)) for i, j in enumerate(best) if similarity[i, j] >= threshold]


def carried_over(rows: Iterable[tuple[int, int | None, str]]) -> dict[int, dict[str, list[int]]]:
    """For (id, plan year, text) rows of one bureau: id → {"again": later years it recurs in,
    "from": earlier years it recurs from}."""
    by_year: dict[int, list[tuple[int, Counter]]] = defaultdict(list)
    for pk, year, text in rows:
        if year is not None:
            by_year[year].append((pk, bigrams(text)))
    links: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"again": [], "from": []})
    for year in sorted(by_year):
        later = by_year.get(year + 1)
        if not later:
            continue
        earlier = by_year[year]
        for i, j in similar_pairs([grams for _, grams in earlier], [grams for _, grams in later]):
            links[earlier[i][0]]["again"].append(year + 1)
            links[later[j][0]]["from"].append(year)
    return {pk: {key: sorted(set(years)) for key, years in link.items()} for pk, link in links.items()}


def bureau_links(bureau_id: int) -> dict[int, dict[str, list[int]]]:
    """carried_over() over every plan of one bureau, read in one query."""
    rows = Commitment.objects.filter(section__report__bureau_id=bureau_id, vague=False).values_list(
        "pk", "section__year", "text"
    )
    return carried_over(rows)
