"""Scanned reports read by OCR (Tesseract chi_sim): the character error rate on scans made here, the import
naming OCR and its confidence, and a scan handed from the web request to a job."""

from __future__ import annotations

import pytest

from commitments.engine.ingest.readers import ReadLimits, read_report_bytes
from tests.helpers import character_error_rate, image_pdf, pdf_bytes, scan_images, seed_plan_page

OCR = ReadLimits(ocr_max_pages=10)


@pytest.fixture(scope="module")
def page():
    return seed_plan_page()


def test_a_clean_scan_reads_back_with_under_two_percent_errors(page):
    scan = image_pdf(scan_images(pdf_bytes([page])))

    result = read_report_bytes(scan, filename="扫描件.pdf", limits=OCR)

    assert character_error_rate(result.text, "".join(page)) <= 0.02
    assert result.warnings[0].startswith("正文由文字识别（OCR，Tesseract）得到，共 1 页")


def test_a_skewed_noisy_stamped_scan_reads_back_with_under_five_percent_errors(page):
    scan = image_pdf(scan_images(pdf_bytes([page]), skew=1.5, noise=True, stamp=True))

    result = read_report_bytes(scan, filename="扫描件.pdf", limits=OCR)

    assert character_error_rate(result.text, "".join(page)) <= 0.05


def test_a_page_image_is_read_as_a_scan(page, tmp_path):
    import io

    [image] = scan_images(pdf_bytes([page[:3]]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    result = read_report_bytes(buffer.getvalue(), filename="第1页.png", limits=OCR)

    assert result.format == "image" and character_error_rate(result.text, "".join(page[:3])) <= 0.03


def test_stopping_a_scan_between_pages_stops_the_reading_and_is_no_refusal(page):
    from commitments.engine.ingest.readers import ReadInterrupted
    from commitments.engine.ingest.readers.ocr import ocr_progress

    scan = image_pdf(scan_images(pdf_bytes([page[:2], page[2:4], page[4:6]])))
    told = []

    def stop_after_the_first(done: int, total: int) -> None:
        told.append((done, total))
        raise ReadInterrupted

    token = ocr_progress.set(stop_after_the_first)
    try:
        with pytest.raises(ReadInterrupted):
            read_report_bytes(scan, filename="300页扫描件.pdf", limits=OCR)
    finally:
        ocr_progress.reset(token)
    assert told == [(1, 3)]


def test_a_scan_over_the_page_limit_is_refused_before_any_page_is_read(page):
    from commitments.engine.ingest.readers.base import ReportReadError

    scan = image_pdf(scan_images(pdf_bytes([page[:1], page[1:2]])))
    with pytest.raises(ReportReadError, match="扫描件共 2 页，超过了文字识别每份 1 页的上限"):
        read_report_bytes(scan, filename="扫描件.pdf", limits=ReadLimits(ocr_max_pages=1))
