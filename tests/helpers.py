"""Helpers the tests share: report files built from real texts, admin pages, jobs, the browser, plan rows.

One module, so that a helper is found in one place and no test module imports another.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import socket
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pytest
from django.contrib.messages import get_messages
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from commitments.engine.ingest.wrapping import display_width
from commitments.models import Commitment, Section
from tests.paths import DEVSET, REPO, SEEDS
from tests.paths import read_seed as _read_seed

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
def chromium(width: int = 1280, height: int = 900):
    """A fresh page in a fresh headless Chromium; no ORM calls while it is open (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN", viewport={"width": width, "height": height})
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


# --- OFD files written here (GB/T 33190 containers), never downloaded: lines laid out on A4 pages as
# TextObjects with a running head and page numbers; scrambled, encrypted or glyph outlines on request.

OFD_NS = "http://www.ofdspec.org/2016"
OFD_LINES_PER_PAGE = 30
OFD_LINE_MM = 7.5
OFD_TOP_MM = 30.0
OFD_CHAR_MM = 5.0


def _ofd_entry(title: str, *, encrypted: bool) -> str:
    encryption = "<ofd:Encryptions>Encryptions.xml</ofd:Encryptions>" if encrypted else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
        f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>a1b2</ofd:DocID><ofd:Title>{escape(title)}</ofd:Title>"
        f"<ofd:CreationDate>2022-01-05</ofd:CreationDate></ofd:DocInfo>"
        f"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>{encryption}</ofd:DocBody></ofd:OFD>"
    )


def _ofd_document(pages: int) -> str:
    listed = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(pages))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
        f"</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{listed}</ofd:Pages></ofd:Document>"
    )


_OFD_PUBLIC_RES = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res">'
    '<ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
)


def _ofd_text(ident: int, x: float, y: float, text: str) -> str:
    width = OFD_CHAR_MM * max(len(text), 1)
    deltas = " ".join([str(OFD_CHAR_MM)] * (len(text) - 1))
    return (
        f'<ofd:TextObject ID="{ident}" Boundary="{x:.2f} {y:.2f} {width:.2f} 6" Font="3" Size="4.2">'
        f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="4.5" DeltaX="{deltas}">{escape(text)}</ofd:TextCode>'
        f"</ofd:TextObject>"
    )


def _ofd_path(ident: int, x: float, y: float) -> str:
    return (
        f'<ofd:PathObject ID="{ident}" Boundary="{x:.2f} {y:.2f} 5 5" LineWidth="0.1">'
        f"<ofd:AbbreviatedData>M 0 0 L 4 0 L 4 4 C 2 5 1 5 0 4 B</ofd:AbbreviatedData></ofd:PathObject>"
    )


def _ofd_page(lines: list[str], number: int, *, head: str, scramble: bool, outlines: bool, split_lines: bool) -> str:
    objects, ident = [], number * 1000
    placed = [(OFD_TOP_MM - 12, head), *((OFD_TOP_MM + i * OFD_LINE_MM, line) for i, line in enumerate(lines))]
    placed.append((280.0, f"- {number} -"))
    for y, line in placed:
        if outlines:
            objects += [_ofd_path(ident + k, 25 + k * OFD_CHAR_MM, y) for k in range(min(len(line), 3))]
            ident += 3
            continue
        indent = 25.0 + (2 * OFD_CHAR_MM if line.startswith("\u3000\u3000") else 0.0)
        text = line.lstrip("\u3000")
        if split_lines and len(text) > 6:  # a line as several text objects, as some writers emit it
            cut = len(text) // 2
            objects.append(_ofd_text(ident, indent, y, text[:cut]))
            objects.append(_ofd_text(ident + 1, indent + cut * OFD_CHAR_MM, y + 0.2, text[cut:]))
            ident += 2
        else:
            objects.append(_ofd_text(ident, indent, y, text))
            ident += 1
    if scramble:
        random.Random(number).shuffle(objects)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
        f'<ofd:Layer ID="{number}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def ofd_bytes(
    lines: list[str],
    *,
    title: str = "工作报告",
    head: str = "中山市民政局文件",
    scramble: bool = False,
    encrypted: bool = False,
    outlines: bool = False,
    split_lines: bool = False,
) -> bytes:
    """An OFD of these (already wrapped) lines, OFD_LINES_PER_PAGE a page."""
    pages = [lines[i : i + OFD_LINES_PER_PAGE] for i in range(0, len(lines), OFD_LINES_PER_PAGE)] or [[]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OFD.xml", _ofd_entry(title, encrypted=encrypted))
        archive.writestr("Doc_0/Document.xml", _ofd_document(len(pages)))
        archive.writestr("Doc_0/PublicRes.xml", _OFD_PUBLIC_RES)
        if encrypted:
            archive.writestr("Encryptions.xml", f'<ofd:Encryptions xmlns:ofd="{OFD_NS}"/>')
        for number, page in enumerate(pages):
            content = _ofd_page(
                page, number + 1, head=head, scramble=scramble, outlines=outlines, split_lines=split_lines
            )
            archive.writestr(f"Doc_0/Pages/Page_{number}/Content.xml", content)
    return buffer.getvalue()


# --- Scans made here, never downloaded: a text-layer PDF rasterised at 200 dpi, optionally skewed, with
# noise and a red seal stamped over a paragraph, wrapped back into an image-only PDF.


def scan_images(pdf: bytes, *, skew: float = 0.0, noise: bool = False, stamp: bool = False) -> list:
    import pypdfium2
    from PIL import Image, ImageDraw

    document = pypdfium2.PdfDocument(pdf)
    images = []
    rng = random.Random(7)
    for index in range(len(document)):
        image = document[index].render(scale=200 / 72).to_pil().convert("RGB")
        if stamp:  # a red seal over the first paragraph, as a signed page carries it
            seal = Image.new("RGBA", image.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(seal)
            x, y = image.width // 3, int(image.height * 0.12)
            draw.ellipse((x, y, x + 420, y + 420), outline=(220, 30, 30, 150), width=14)
            draw.regular_polygon((x + 210, y + 210, 70), 5, fill=(220, 30, 30, 120))
            image = Image.alpha_composite(image.convert("RGBA"), seal).convert("RGB")
        if skew:
            image = image.rotate(skew, expand=True, fillcolor=(255, 255, 255))
        if noise:
            pixels = image.load()
            for _ in range(image.width * image.height // 150):
                px, py = rng.randrange(image.width), rng.randrange(image.height)
                grey = rng.randrange(0, 160)
                pixels[px, py] = (grey, grey, grey)
        images.append(image)
    document.close()
    return images


def image_pdf(images: list) -> bytes:
    """An image-only PDF of these page images (no text layer), as a scanner writes one."""
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=200)
    return buffer.getvalue()


def character_error_rate(recognised: str, source: str) -> float:
    """Levenshtein distance over the characters (whitespace ignored, full- and half-width forms alike:
    "，" is ",") / the source's length."""
    import unicodedata

    a, b = ("".join(unicodedata.normalize("NFKC", text).split()) for text in (recognised, source))
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1] / max(len(b), 1)


def seed_plan_page() -> list[str]:
    """About a page of seed 003's text (its plan part): what a scanned page of a work report holds."""
    text = _read_seed("003")
    start = text.index("2022年工作打算")
    paragraphs = [p.strip() for p in text[start:].split("\n") if p.strip()]
    page, used = [], 0
    for paragraph in paragraphs:
        if used + len(paragraph) > 700:
            break
        page.append(paragraph)
        used += len(paragraph)
    return page
