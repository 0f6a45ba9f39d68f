"""OCR quality and speed on scans made here: character error rate against the source text and seconds a
page, clean and degraded (1.5° skew, speckle noise, a red seal over a paragraph). Prints figures; asserts
nothing.

    .venv/bin/python benchmarks/ocr.py [--pages 4] [--gold zhongshan_2022 lanling_2022]

The plan part of each devset gold file (seeds 001 and 003; its first pages) is typeset to PDF (reportlab, as the tests do), rasterised at 200 dpi (PDFium), degraded
or not, wrapped back into an image-only PDF and read by the PDF reader's OCR path (Tesseract chi_sim).
Then commitments are extracted from the OCR text and scored against the gold by the devset's rule (a
gold concrete commitment is found when one extracted holds 60% of its characters in order). Issue 16's targets: CER ≤ 2% clean, ≤ 5% degraded; commitment recall ≥ 0.95.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")


def main() -> None:
    import django

    django.setup()
    from commitments.engine.analyse import analyse_text
    from commitments.engine.evaluation import COVER, MAX_LENGTH_RATIO, _in_order
    from commitments.engine.gold import load_gold
    from commitments.engine.ingest.readers import ReadLimits, read_report_bytes
    from commitments.engine.ingest.readers.ocr import engine_missing
    from tests.helpers import character_error_rate, image_pdf, pdf_bytes, scan_images
    from tests.paths import DEVSET

    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=4, help="pages of each plan (about 700 characters each)")
    parser.add_argument("--gold", nargs="+", default=["zhongshan_2022", "lanling_2022"], help="devset gold files")
    options = parser.parse_args()
    if engine_missing():
        sys.exit(f"ocr: {engine_missing()} is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")

    def squeeze(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

    print(f"ocr: Tesseract chi_sim, 200 dpi, {os.cpu_count()} CPUs, OMP_THREAD_LIMIT={os.environ['OMP_THREAD_LIMIT']}")
    print(f"{'plan (gold)':16} {'scan':9} {'pages':>5} {'CER':>7} {'s/page':>7} {'concrete found':>14} {'recall':>7}")
    for name in options.gold:
        gold = load_gold(DEVSET / f"{name}.gold.json")
        paragraphs = [p.strip() for p in gold.plan.split("\n") if p.strip()]
        pages, page, used = [], [], 0
        for paragraph in paragraphs:
            if used + len(paragraph) > 700 and page:
                pages.append(page)
                page, used = [], 0
            page.append(paragraph)
            used += len(paragraph)
        pages = (pages + [page])[: options.pages]
        source = "\n".join(p for page in pages for p in page)
        concrete = [squeeze(i["text"]) for i in gold.data["commitments"] if i["kind"] == "concrete"]
        concrete = [t for t in concrete if t in squeeze(source)]  # the gold items on these pages
        for label, degrade in (("clean", {}), ("degraded", {"skew": 1.5, "noise": True, "stamp": True})):
            scan = image_pdf(scan_images(pdf_bytes(pages), **degrade))
            started = time.perf_counter()
            result = read_report_bytes(scan, filename="scan.pdf", limits=ReadLimits(ocr_max_pages=100))
            seconds = (time.perf_counter() - started) / len(pages)
            # The devset's rule: found when one commitment holds 60% of the gold's characters in order.
            found_texts = [squeeze(c.text) for c in analyse_text(result.text, year=gold.year).commitments]
            found = sum(
                any(_in_order(g, c) >= COVER * len(g) and len(c) <= MAX_LENGTH_RATIO * len(g) for c in found_texts)
                for g in concrete
            )
            cer = character_error_rate(result.text, source)
            recall = found / len(concrete) if concrete else float("nan")
            print(
                f"{name:16} {label:9} {len(pages):>5} {cer:>7.3%} {seconds:>7.2f} {found:>5}/{len(concrete):<6} {recall:>7.3f}"
            )


if __name__ == "__main__":
    main()
