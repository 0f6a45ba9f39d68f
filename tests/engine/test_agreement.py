"""Cohen's kappa against hand-computed textbook values and its edge cases."""

import pytest

from commitments.engine.agreement import cohen_kappa


def pairs(counts: dict[tuple[str, str], int]) -> tuple[list[str], list[str]]:
    first, second = [], []
    for (a, b), count in counts.items():
        first += [a] * count
        second += [b] * count
    return first, second


def test_the_classic_two_by_two_example_gives_kappa_0_4():
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    # p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2/0.5 = 0.4.
    first, second = pairs({("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15})

    result = cohen_kappa(first, second, labels=["yes", "no"])

    assert result.n == 50
    assert result.observed == pytest.approx(0.7)
    assert result.expected == pytest.approx(0.5)
    assert result.kappa == pytest.approx(0.4)
    assert result.labels == ("yes", "no")
    assert result.matrix == ((20, 5), (10, 15))


@pytest.mark.parametrize(
    ("counts", "kappa"),
    [
        # p_o = 0.6, p_e = 0.6*0.7 + 0.4*0.3 = 0.54 → 0.06/0.46
        ({("yes", "yes"): 45, ("yes", "no"): 15, ("no", "yes"): 25, ("no", "no"): 15}, 0.06 / 0.46),
        # p_o = 0.6, p_e = 0.6*0.3 + 0.4*0.7 = 0.46 → 0.14/0.54
        ({("yes", "yes"): 25, ("yes", "no"): 35, ("no", "yes"): 5, ("no", "no"): 35}, 0.14 / 0.54),
    ],
)
def test_same_observed_agreement_different_kappa(counts, kappa):
    assert cohen_kappa(*pairs(counts)).kappa == pytest.approx(kappa)


def test_three_categories_by_hand():
    # 10 items. A: a a a a b b b c c c; B: a a a b b b c c c a.
    first = list("aaaabbbccc")
    second = list("aaabbbccca")
    # p_o = 7/10; A counts a4 b3 c3, B counts a4 b3 c3; p_e = (16+9+9)/100 = 0.34
    result = cohen_kappa(first, second)

    assert result.observed == pytest.approx(0.7)
    assert result.expected == pytest.approx(0.34)
    assert result.kappa == pytest.approx(0.36 / 0.66)
    assert result.matrix == ((3, 1, 0), (0, 2, 1), (1, 0, 2))


def test_perfect_agreement_gives_one():
    labels = ["fulfilled", "partial", "not_fulfilled", "fulfilled"]
    assert cohen_kappa(labels, labels).kappa == pytest.approx(1.0)


def test_total_disagreement_across_two_labels_gives_minus_one():
    assert cohen_kappa(["a", "b", "a", "b"], ["b", "a", "b", "a"]).kappa == pytest.approx(-1.0)


def test_a_single_category_used_by_both_leaves_kappa_undefined():
    result = cohen_kappa(["partial"] * 5, ["partial"] * 5)

    assert result.observed == 1.0
    assert result.kappa is None


def test_one_coder_with_a_single_category_gets_kappa_zero():
    # p_o = 3/4 = p_e (A always "a", B says "a" 3 times of 4): agreement no better than chance.
    assert cohen_kappa(["a"] * 4, ["a", "a", "a", "b"]).kappa == pytest.approx(0.0)


def test_no_items_and_a_single_item_leave_kappa_undefined():
    empty = cohen_kappa([], [], labels=["a", "b"])
    assert (empty.n, empty.observed, empty.kappa) == (0, None, None)
    assert empty.matrix == ((0, 0), (0, 0))

    single = cohen_kappa(["a"], ["b"])
    assert (single.n, single.observed, single.kappa) == (1, 0.0, None)


def test_labels_fix_the_matrix_order_and_unlisted_ones_follow():
    result = cohen_kappa(["b", "z"], ["a", "z"], labels=["b", "a", "c"])

    assert result.labels == ("b", "a", "c", "z")
    assert result.matrix[0][1] == 1 and result.matrix[3][3] == 1


def test_lists_of_different_lengths_are_refused():
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])
