"""List pages never load or group by report texts: a report can hold millions of characters.

A 19 MB report once made the report list take over 120 s, because its counts grouped by every report
column, the text included. The speed is measured by benchmarks/report_pages.py; here, what the SQL reads.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

LISTS = [
    "/admin/commitments/report/",
    "/admin/commitments/section/",
    "/admin/commitments/commitment/",
    "/admin/commitments/assessment/",
    "/admin/commitments/bureau/",
    "/admin/review/",
]
TEXT_COLUMN = '"commitments_report"."text"'


@pytest.mark.parametrize("url", LISTS)
def test_a_list_page_reads_no_report_text(admin_client, other_bureau_assessment, url):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    reading = [q["sql"] for q in queries.captured_queries if TEXT_COLUMN in q["sql"].replace("`", '"')]
    assert not reading, reading[0][:300]


def test_the_report_list_still_counts_sections_and_commitments(admin_client, other_bureau_assessment):
    response = admin_client.get("/admin/commitments/report/")
    report = response.context["cl"].result_list[0]
    assert (report.section_count, report.commitment_count) == (1, 1)


def test_a_huge_report_page_shows_a_page_of_its_text_and_says_how_long_it_is(admin_client, other_bureau_assessment):
    report = other_bureau_assessment.commitment.section.report
    report.text = "推进养老服务体系建设。" * 20_000  # 220,000 characters
    report.save(update_fields=["text"])

    page = admin_client.get(f"/admin/commitments/report/{report.pk}/change/").content.decode()

    assert "全文共 220,000 字" in page and len(page) < 400_000
