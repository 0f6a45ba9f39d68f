import pytest

from commitments.engine.evaluation import prepare_gold
from tests.paths import DEVSET

# Three small labelled pairs: one synthetic review, two real sampled ones.
SMALL_PAIRS = ("lanling_2022.gold.json", "sampled/hailar_2013.gold.json", "sampled/hailar_2014.gold.json")


@pytest.fixture(scope="session")
def small_pairs():
    """Prepared once (lexical only: fast), shared by the learning tests."""
    return [prepare_gold(DEVSET / name, use_embeddings=False) for name in SMALL_PAIRS]
