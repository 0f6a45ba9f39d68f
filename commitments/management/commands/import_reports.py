"""`manage.py import_reports FILE_OR_DIR...`: import report files, then show what became of each."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from commitments.engine.ingest.readers.ocr import ocr_progress
from commitments.services.reports import (
    ImportStatus,
    InvalidYear,
    NearDuplicates,
    report_files_collect,
    reports_import_batch,
    year_check,
)

# Shown in every run's summary; the others only when they happened.
ALWAYS_COUNTED = (ImportStatus.IMPORTED, ImportStatus.UNCHANGED, ImportStatus.FAILED)
NEAR_DUPLICATE_HINT = (
    "未导入；如是新版本，用 --near-duplicates replace 替换原报告，如是另一份报告，用 --near-duplicates keep"
)


class Command(BaseCommand):
    help = "导入工作报告（txt、html、docx、doc、wps、pdf、ofd；文件、文件夹或 zip 压缩包），抽取其中的计划与承诺"

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="报告文件、文件夹（递归查找）或 zip 压缩包")
        parser.add_argument("--bureau", help="发布单位全称；不填则从正文识别")
        parser.add_argument("--year", help="报告年份；不填则从正文识别")
        parser.add_argument(
            "--near-duplicates",
            choices=list(NearDuplicates.values),
            default=NearDuplicates.ASK,
            help="与同一单位已导入的报告几乎相同（或文件名相同）时：ask 不导入并在结果中列出（默认），"
            "replace 替换为新版本（保留分析员结论），keep 另存为一份报告",
        )

    def handle(self, *args, paths, bureau=None, year=None, near_duplicates=NearDuplicates.ASK, **options):
        try:
            year = year_check(year)
        except InvalidYear as exc:
            raise CommandError(str(exc)) from None
        console = _console(self.stdout)
        files = report_files_collect(paths)
        if not files:
            raise CommandError("没有找到可导入的报告文件（支持 txt、html、docx、doc、wps、pdf、ofd 及其 zip 压缩包）")

        show_progress = len(files) > 1 or any(Path(p).is_dir() or Path(p).suffix.lower() == ".zip" for p in paths)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not show_progress,
        ) as progress:
            task = progress.add_task("导入中", total=None)

            current = {"name": ""}

            def on_file(name: str, done: int, total: int) -> None:
                current["name"] = name
                progress.update(task, description=f"导入 {name}", completed=done, total=total)

            def on_page(done: int, total: int) -> None:  # a scan read by OCR, page by page
                progress.update(task, description=f"导入 {current['name']}：文字识别 第 {done}/{total} 页")

            token = ocr_progress.set(on_page)
            try:
                outcomes = reports_import_batch(
                    paths, bureau_name=bureau, year=year, near_duplicates=near_duplicates, on_file=on_file
                )
            finally:
                ocr_progress.reset(token)

        console.print(_summary_table(outcomes))
        counts = {status: sum(o.status == status for o in outcomes) for status in ImportStatus}
        added = sum(o.commitments for o in outcomes if o.status == ImportStatus.IMPORTED)
        console.print(
            f"共 {len(outcomes)} 个文件："
            + "，".join(
                f"{status.label} {counts[status]}"
                for status in ImportStatus
                if status in ALWAYS_COUNTED or counts[status]
            )
            + f"；新增承诺 {added} 条"
        )
        if counts[ImportStatus.FAILED] == len(outcomes):
            raise CommandError("所有文件都导入失败，见上表的原因")


def _summary_table(outcomes) -> Table:
    table = Table(title="导入结果", show_lines=False)
    for name, justify in [
        ("文件", "left"),
        ("状态", "left"),
        ("单位", "left"),
        ("年份", "right"),
        ("部分", "right"),
        ("承诺", "right"),
        ("说明", "left"),
    ]:
        table.add_column(name, justify=justify, overflow="fold", no_wrap=name in {"状态", "年份"})
    styles = {
        "imported": "green",
        "unchanged": "cyan",
        "failed": "red",
        "near_duplicate": "yellow",
        "replaced": "green",
        "same_report": "cyan",
    }
    for outcome in outcomes:
        ok = outcome.status != "failed"
        counted = outcome.status not in {"failed", "near_duplicate", "same_report"}
        reason = outcome.reason
        if outcome.status == ImportStatus.NEAR_DUPLICATE:
            reason = f"{reason}；{NEAR_DUPLICATE_HINT}"
        table.add_row(
            outcome.source,
            f"[{styles[outcome.status]}]{outcome.status_label}[/]",
            outcome.bureau_name,
            str(outcome.year or "未知") if ok else "",
            str(outcome.sections) if counted else "",
            str(outcome.commitments) if counted else "",
            reason,
        )
    return table


def _console(stdout) -> Console:
    """A rich console on the command's own stream (so that call_command(stdout=...) captures it)."""
    stream = getattr(stdout, "_out", stdout)
    interactive = hasattr(stream, "isatty") and stream.isatty()
    return Console(file=stream, width=None if interactive else 160, highlight=False)
