"""What the gold-reading commands (evaluate, train_matcher) share: clear errors naming the file, and
the reliability table."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.core.management.base import CommandError

from commitments.engine.gold import GoldError
from commitments.engine.ingest.readers.base import ReportReadError
from commitments.engine.learning.reliability import Reliability
from commitments.engine.learning.report import BULK_PRECISION

T = TypeVar("T")


def with_gold(name: str, read: Callable[..., T], **options) -> T:
    """`read(path, **options)` for one gold file; any fault of the file is a CommandError naming it."""
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"找不到标注文件：{name}")
    try:
        return read(path, **options)
    except GoldError as exc:
        raise CommandError(f"标注文件有误：{exc}") from exc
    except ReportReadError as exc:
        raise CommandError(f"标注文件所指的文本无法读取：{name}（{exc}）") from exc
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CommandError(f"标注文件无法读取：{name}（{exc}）") from exc


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad by display width, so that columns holding Chinese stay aligned in a terminal."""
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def write_reliability(out, reliability: Reliability) -> None:
    """Confidence bands against the share right, the calibration error, and the bulk-confirm floor."""
    out.write("")
    out.write("置信度可靠性（真实回顾的具体承诺，留一对交叉验证）")
    out.write(f"{pad('置信度', 10)} {'n':>5} {pad('平均置信度', 12, right=True)} {pad('实际正确', 10, right=True)}")
    for low, high, n, mean, right in reliability.bands():
        band = f"{low:.1f}–{high:.1f}"
        out.write(f"{pad(band, 10)} {n:>5} {_pct(mean):>12} {_pct(right):>10}")
    right_09, share_09 = reliability.at_least(0.9)
    floor = reliability.floor_for(BULK_PRECISION)
    ece = reliability.ece
    out.write(f"期望校准误差 ECE {'—' if ece is None else f'{ece:.3f}'}")
    out.write(f"置信度 ≥ 0.9：正确 {_pct(right_09)}，占 {_pct(share_09)}")
    if floor is None:
        out.write(f"没有哪个置信度下限能让批量确认达到 {BULK_PRECISION:.0%} 的正确率")
    else:
        _, share = reliability.at_least(floor)
        out.write(f"批量确认达到 {BULK_PRECISION:.0%} 正确率的置信度下限 {floor:.3f}（覆盖 {_pct(share)}）")


def calibration_json(reliability: Reliability) -> dict:
    right_09, share_09 = reliability.at_least(0.9)
    return {
        "ece": reliability.ece,
        "right_at_0.9": right_09,
        "share_at_0.9": share_09,
        "bands": [
            {"low": low, "high": high, "n": n, "mean_confidence": mean, "right": right}
            for low, high, n, mean, right in reliability.bands()
        ],
    }
