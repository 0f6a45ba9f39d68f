"""Gold files of the devset (rules in shared/devset/README.md): read, checked, and their texts.

A gold file that would be scored silently wrong is refused naming the file and the item to fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from commitments.engine.ingest.readers import read_report
from commitments.engine.types import VERIFIABLE

KINDS = ("concrete", "vague", "not_commitment")


NOT_COMMITMENT = "not_commitment"  # only in samples: no status, no evidence


SYNTHETIC_REVIEW = ".synthetic.txt"


class GoldError(ValueError):
    """A gold file that would be scored wrongly as it stands: names the file and the item to fix."""

    def __init__(self, gold_file: str, item_id: str | None, problem: str):
        where = f"{gold_file} 条目 {item_id}" if item_id is not None else gold_file
        super().__init__(f"{where}：{problem}")
        self.gold_file, self.item_id, self.problem = gold_file, item_id, problem


@dataclass
class GoldFile:
    """A gold file with the texts it refers to, read once for checking and scoring."""

    path: Path
    data: dict
    plan: str
    review: str | None

    @property
    def year(self) -> int | None:
        return gold_year(self.data)

    @property
    def sampled(self) -> bool:
        return str(self.data.get("sampling", "")).startswith("sample")

    @property
    def real(self) -> bool:
        """A real pair: a review that was not written for the devset (those are `*.synthetic.txt`)."""
        review_file = self.data.get("review_file")
        return bool(review_file) and not str(review_file).endswith(SYNTHETIC_REVIEW)


def gold_year(gold: dict) -> int | None:
    year = gold.get("year")
    if isinstance(year, int):
        return year
    digits = "".join(ch for ch in str(year or "")[:4] if ch.isdigit())
    return int(digits) if len(digits) == 4 else None


def check_gold(data: dict, plan: str, review: str | None, gold_file: str) -> None:
    """Refuse what would be scored silently wrong: a text the plan lacks is never found, evidence the
    review lacks never hits, an unknown kind or status is counted as some other one."""
    items = data.get("commitments") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise GoldError(gold_file, None, "没有 commitments 列表")
    seen: set[str] = set()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("id"):
            raise GoldError(gold_file, f"#{number}", "条目没有 id")
        item_id = str(item["id"])
        if item_id in seen:
            raise GoldError(gold_file, item_id, "id 重复")
        seen.add(item_id)
        text = item.get("text")
        if not isinstance(text, str) or not text or text not in plan:
            raise GoldError(gold_file, item_id, f"文本不在计划文件中：{str(text)[:40]}")
        kind = item.get("kind")
        if kind not in KINDS:
            raise GoldError(gold_file, item_id, f"未知的 kind：{kind!r}（应为 {' / '.join(KINDS)}）")
        if kind == NOT_COMMITMENT or (review is None and "status" not in item):
            continue
        status = item.get("status")
        if status not in VERIFIABLE:
            problem = "缺少 status" if status is None else f"未知的 status：{status!r}"
            raise GoldError(gold_file, item_id, f"{problem}（应为 {' / '.join(VERIFIABLE)}）")
        evidence = item.get("evidence")
        if not isinstance(evidence, list) or not all(isinstance(e, str) and e for e in evidence):
            raise GoldError(gold_file, item_id, "evidence 应为非空字符串的列表")
        for passage in evidence:
            if review is None or passage not in review:
                raise GoldError(gold_file, item_id, f"证据不在回顾文件中：{passage[:60]}")


def load_gold(path: Path) -> GoldFile:
    """A gold file and its plan and review texts (as the readers give them, which is what is scored),
    checked by `check_gold`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("plan_file"):
        raise GoldError(str(path), None, "没有 plan_file")
    plan = read_report(path.parent / data["plan_file"]).text
    review = read_report(path.parent / data["review_file"]).text if data.get("review_file") else None
    check_gold(data, plan, review, str(path))
    return GoldFile(path, data, plan, review)
