"""The TF-IDF part equals scikit-learn's vectoriser (the model was fitted on those figures)."""

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from commitments.engine.matching.tfidf import tfidf_cosines


def test_the_cosines_equal_scikit_learns():
    units = ["全年新建社区养老服务站22个，覆盖全部镇街。", "低保标准  由每人每月1120元提高到1180元", "完成规划编写"]
    commitments = ["新建社区养老服务站20个", "落实最低生活保障标准调整机制（低保）", "无关"]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, lowercase=False)
    matrix = vectorizer.fit_transform([*units, *commitments])
    expected = (matrix[len(units) :] @ matrix[: len(units)].T).toarray()
    np.testing.assert_allclose(tfidf_cosines(commitments, units), expected, atol=1e-6)


def test_empty_sides_give_an_empty_matrix():
    assert tfidf_cosines([], ["甲乙"]).shape == (0, 1)
    assert tfidf_cosines(["甲乙"], []).shape == (1, 0)
