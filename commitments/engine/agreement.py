"""Agreement between two coders who labelled the same items: observed agreement and Cohen's kappa.

Plain Python, no Django: kappa corrects the share of items both coders labelled alike for the share
they would agree on by chance given how often each uses each label,
kappa = (p_o - p_e) / (1 - p_e) (Cohen 1960).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    n: int
    observed: float | None  # p_o; None without items
    expected: float | None  # p_e, the chance agreement
    kappa: float | None  # None when undefined (fewer than two items, or both coders used one label only)
    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]  # matrix[i][j]: first coder said labels[i], second labels[j]


def cohen_kappa(first: Sequence[str], second: Sequence[str], *, labels: Sequence[str] = ()) -> Agreement:
    """Agreement of two label lists, item by item.

    `labels` fixes the order (and may add unused labels) of the confusion matrix; labels seen but not
    listed follow in sorted order.
    """
    if len(first) != len(second):
        raise ValueError(f"the coders labelled different numbers of items: {len(first)} and {len(second)}")
    seen = set(first) | set(second)
    order = tuple(dict.fromkeys([*labels, *sorted(seen - set(labels))]))
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for a, b in zip(first, second, strict=True):
        matrix[index[a]][index[b]] += 1
    n = len(first)
    frozen = tuple(tuple(row) for row in matrix)
    if n == 0:
        return Agreement(n=0, observed=None, expected=None, kappa=None, labels=order, matrix=frozen)
    observed = sum(matrix[i][i] for i in range(len(order))) / n
    first_counts, second_counts = Counter(first), Counter(second)
    expected = sum(first_counts[label] * second_counts[label] for label in seen) / (n * n)
    kappa = None if n < 2 or expected >= 1 else (observed - expected) / (1 - expected)
    return Agreement(n=n, observed=observed, expected=expected, kappa=kappa, labels=order, matrix=frozen)
