"""Helpers the tests share: report files built from real texts, admin pages, jobs, the browser, plan rows.

One module, so that a helper is found in one place and no test module imports another.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import docx
import pytest
from django.contrib.messages import get_messages
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from commitments.engine.ingest.wrapping import display_width
from commitments.models import Commitment, Section
from tests.paths import DEVSET, REPO, SEEDS

ZHONGSHAN_SEED = SEEDS / "001_4a35fbe89719b063.txt"
ZHONGSHAN_PLAN = DEVSET / "zhongshan_2022_plan.txt"
_CHARS_PER_PDF_LINE = 36
ZHONGSHAN_TITLE = "2021年民政工作总结和2022年工作计划"


def paragraphs_of(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_article() -> list[str]:
    """Seed 001 without the page lines its text copy kept above the article (nav, title, info bar)."""
    lines = paragraphs_of(ZHONGSHAN_SEED)
    return lines[lines.index("2021年工作回顾") :]


def write_docx(path: Path, paragraphs: list[str], *, title: str = "", table_rows: list[list[str]] = ()) -> Path:
    document = docx.Document()
    if title:
        document.core_properties.title = title
    half = len(paragraphs) // 2
    for paragraph in paragraphs[:half]:
        document.add_paragraph(paragraph)
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        for row, values in zip(table.rows, table_rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    for paragraph in paragraphs[half:]:
        document.add_paragraph(paragraph)
    document.save(path)
    return path


def pdf_bytes(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A real text-layer PDF in Chinese: reportlab's built-in Adobe CID font needs no font file."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    if title is not None:
        pdf.setTitle(title)
    for paragraphs in pages:
        pdf.setFont("STSong-Light", 12)
        y = 780
        for paragraph in paragraphs:
            for start in range(0, len(paragraph), _CHARS_PER_PDF_LINE):
                pdf.drawString(60, y, paragraph[start : start + _CHARS_PER_PDF_LINE])
                y -= 18
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def hard_wrap(text: str, width: float = 28) -> str:
    """Every paragraph cut into lines of `width` (a Han character 1, a digit or Latin letter 1/2), as
    a PDF of an official document prints it."""
    lines = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for ch in paragraph:
            w = display_width(ch) or 1.0
            if used + w > width:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += w
        lines.append(line)
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def listed(client, url: str) -> list:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(response.context["cl"].result_list)


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# Browser tests: Debian's headless Chromium, driven by Playwright (no browser download).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "build" / "screenshots"
PASSWORD = "pass"  # make_user's password
TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def require_chromium() -> None:
    """Checked before the slow import: without Chromium the browser tests fail with the fix, never
    skip (`make test` installs the Debian packages requirements.txt names when it can)."""
    if Path(CHROMIUM).is_file() or shutil.which(CHROMIUM):
        return
    pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei")


@contextmanager
def chromium():
    """A fresh page in a fresh headless Chromium; no ORM calls while it is open (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def commitment_build(
    section: Section, order: int, text: str, *, topic: str = "养老服务", vague: bool = False
) -> Commitment:
    """An unsaved commitment of a plan section, as the extractor would write it (tests and benchmarks)."""
    return Commitment(
        section=section,
        order=order,
        text=text,
        topic=topic,
        topic_path=[topic],
        start=0,
        end=len(text),
        vague=vague,
        kind=Commitment.Kind.VAGUE if vague else Commitment.Kind.CONCRETE,
    )


def xlsx_cells(content: bytes) -> list:
    """Every cell of an exported workbook's sheet (openpyxl cells: value and data_type)."""
    from openpyxl import load_workbook

    return [cell for row in load_workbook(io.BytesIO(content)).active.iter_rows() for cell in row]


def report_page_html(*, title: str, paragraphs: list[str], site: str = "兰陵县人民政府") -> str:
    """The web page of a report's text, as a county site serves it: navigation, the article, a footer."""
    from html import escape

    article = "\n".join(f'<p style="text-indent: 2em;">{escape(paragraph)}</p>' for paragraph in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}_{site}</title>'
        f'<meta name="ArticleTitle" content="{escape(title)}"></head><body>'
        '<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政务公开</a> <a href="/hdjl/">互动交流</a></div>'
        f'<div class="article"><h2>{escape(title)}</h2><div id="zoom">\n{article}\n</div></div>'
        f'<div class="footer">主办单位：{site} 版权所有</div></body></html>'
    )


def gbk_resaved(path: Path) -> bytes:
    """A UTF-8 report saved again as GBK by an editor that writes "?" for what GBK lacks (the no-break
    spaces of a web copy): the same report, another text."""
    return path.read_text(encoding="utf-8").encode("gbk", errors="replace")


def docx_with_part(source: Path, name: str, content: bytes, *, declared_size: int | None = None) -> bytes:
    """A copy of the .docx at `source` with the part `name` replaced (deflated); `declared_size`
    makes the zip directory lie about the part's uncompressed size, as a crafted bomb's does."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            if item.filename != name:
                copy.writestr(item, original.read(item.filename))
        copy.writestr(name, content)
    data = bytearray(buffer.getvalue())
    if declared_size is not None:
        entry = data.index(b"PK\x01\x02")  # central directory entries: the name at 46, its length at 28
        while data[entry + 46 : entry + 46 + int.from_bytes(data[entry + 28 : entry + 30], "little")] != name.encode():
            entry = data.index(b"PK\x01\x02", entry + 4)
        data[entry + 24 : entry + 28] = declared_size.to_bytes(4, "little")  # its uncompressed size
    return bytes(data)


def rtf_bytes(paragraphs: list[str]) -> bytes:
    """An RTF document as Word or WPS saves one: Chinese as \\uN escapes, a \\par per paragraph."""
    body = "".join("".join(f"\\u{ord(ch)}?" if ord(ch) > 127 else ch for ch in p) + "\\par\n" for p in paragraphs)
    return ("{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 SimSun;}}\n\\f0 " + body + "}").encode()
