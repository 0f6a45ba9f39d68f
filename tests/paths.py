"""Where the shared material lives: shared/ sits beside the repository (also in CI's clean clone)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DEVSET = SHARED / "devset"


def seed(prefix: str) -> Path:
    """A seed report by its number: seed("001")."""
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def read_seed(prefix: str) -> str:
    return seed(prefix).read_text(encoding="utf-8")
