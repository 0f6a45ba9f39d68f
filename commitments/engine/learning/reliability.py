"""Does the confidence mean what it says: confidence bands against the share of proposals that were
right, the expected calibration error, and the share right at or above a floor."""

from __future__ import annotations

from dataclasses import dataclass, field

BANDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass
class Reliability:
    pairs: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, right) per concrete gold item

    def add(self, prepared, results) -> None:
        """The engine's proposals for the concrete gold items of one pair (unfound items are not proposals)."""
        if results is None:
            return
        for row, item in prepared.labelled():
            if item["kind"] == "concrete":
                result = results[row]
                self.pairs.append((result.confidence, result.status == item["status"]))

    def bands(self) -> list[tuple[float, float, int, float | None, float | None]]:
        """(low, high, n, mean confidence, share right) per band."""
        rows = []
        for low, high in zip(BANDS, BANDS[1:], strict=False):
            inside = [(c, r) for c, r in self.pairs if low <= c < high or (high == 1.0 and c == 1.0)]
            n = len(inside)
            mean = sum(c for c, _ in inside) / n if n else None
            right = sum(r for _, r in inside) / n if n else None
            rows.append((low, high, n, mean, right))
        return rows

    @property
    def ece(self) -> float | None:
        """Expected calibration error over the bands, weighted by their counts."""
        if not self.pairs:
            return None
        total = len(self.pairs)
        return sum(n / total * abs(mean - right) for _, _, n, mean, right in self.bands() if n)

    def at_least(self, floor: float) -> tuple[float | None, float]:
        """(share right among proposals with confidence ≥ floor, share of proposals that reach it)."""
        above = [r for c, r in self.pairs if c >= floor]
        share = len(above) / len(self.pairs) if self.pairs else 0.0
        return (sum(above) / len(above) if above else None), share

    def floor_for(self, precision: float) -> float | None:
        """The lowest confidence above which the proposals are right at least `precision` of the time."""
        best = None
        for floor in sorted({c for c, _ in self.pairs}, reverse=True):  # a floor takes all its ties
            right, _ = self.at_least(floor)
            if right >= precision:
                best = floor
        return best
