"""Double coding: sampling, the second coder's independent page, who may code, and agreement figures."""

import re

import pytest
from django.urls import reverse

from commitments.engine.agreement import cohen_kappa
from commitments.engine.types import STATUS_LABELS
from commitments.models import (
    Assessment,
    Bureau,
    Commitment,
    DoubleCodingSample,
    Evidence,
    Report,
    SecondCoding,
    Section,
)
from commitments.services.coding import double_coding_sample_draw

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/double/"
AGREEMENT = "/admin/review/agreement/"
PLAN = "2022年工作计划\n"
# Each item: commitment text, machine status, machine reason.
ITEMS = [
    ("新建养老机构3家。", "fulfilled", "回顾写明新建养老机构3家"),
    ("完成社区食堂建设10个。", "partial", "只建成6个"),
    ("推进婚姻登记信息化。", "no_evidence", "回顾未提及"),
    ("开展慈善募捐活动2次。", "fulfilled", "开展2次"),
    ("修订殡葬管理办法。", "not_fulfilled", "仍在起草"),
    ("培训社工200人次。", "partial", "培训120人次"),
]


@pytest.fixture
def bureau(db):
    """A bureau's 2022 plan with six machine proposals, each with one ranked evidence passage."""
    bureau = Bureau.objects.create(name="测试市民政局")
    plan = PLAN + "".join(text for text, _, _ in ITEMS)
    review = "2022年工作回顾\n新建养老机构3家，建成社区食堂6个，开展慈善募捐活动2次，培训社工120人次。"
    report = Report.objects.create(bureau=bureau, title="测试市民政局报告", text=plan + review, sha256="t" * 64)
    plan_section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(plan))
    review_section = Section.objects.create(
        report=report, kind=Section.Kind.REVIEW, year=2022, start=len(plan), end=len(plan) + len(review)
    )
    for order, (text, status, reason) in enumerate(ITEMS):
        commitment = Commitment.objects.create(
            section=plan_section,
            order=order,
            text=text,
            topic="养老服务",
            topic_path=["民政工作", "养老服务"],
            targets=[{"text": "3家"}] if order == 0 else [],
            start=0,
            end=1,
        )
        Evidence.objects.create(
            commitment=commitment,
            section=review_section,
            rank=1,
            text=f"回顾证据{order}：新建养老机构3家。",
            start=len(plan),
            end=len(plan) + 5,
            score=0.87,
            shared_terms=["养老机构"],
            figures=["3家"],
        )
        Assessment.objects.create(
            commitment=commitment,
            status=status,
            confidence=0.4321,
            reason=reason,
            machine_status=status,
            machine_confidence=0.4321,
            machine_reason=reason,
        )
    return bureau


@pytest.fixture
def people(bureau, make_user):
    return {
        "first": make_user("first", "analyst", [bureau]),
        "second": make_user("second", "analyst", [bureau]),
        "viewer": make_user("viewer", "viewer", [bureau]),
        "stranger": make_user("stranger", "analyst", []),
    }


def assessments(bureau) -> list[Assessment]:
    return list(Assessment.objects.filter(commitment__section__report__bureau=bureau).order_by("pk"))


def decide(assessment: Assessment, user, status: str) -> None:
    """The first analyst's decision, as the review page records it."""
    Assessment.objects.filter(pk=assessment.pk).update(source="analyst", status=status, confirmed_by=user)


def code_url(assessment: Assessment) -> str:
    return reverse("double_coding_assessment", args=[assessment.pk])


def sample_all(bureau, user) -> list[Assessment]:
    double_coding_sample_draw(bureau=bureau, year=2022, user=user, size=len(ITEMS), seed=1)
    return assessments(bureau)


# Sampling


def test_the_same_seed_draws_the_same_sample_and_a_larger_size_only_adds(bureau, people):
    draw = double_coding_sample_draw
    first = set(draw(bureau=bureau, year=2022, user=people["first"], size=3, seed=7).assessments.all())
    again = set(draw(bureau=bureau, year=2022, user=people["first"], size=3, seed=7).assessments.all())
    larger = set(draw(bureau=bureau, year=2022, user=people["first"], size=5, seed=7).assessments.all())
    others = {
        frozenset(draw(bureau=bureau, year=2022, user=people["first"], size=3, seed=s).assessments.all())
        for s in range(20)
    }

    assert len(first) == 3 and first == again
    assert first < larger and len(larger) == 5
    assert len(others) > 1, "different seeds should draw different samples"
    assert DoubleCodingSample.objects.count() == 1


def test_a_share_is_rounded_up_and_the_size_capped(bureau, people):
    draw = double_coding_sample_draw
    assert draw(bureau=bureau, year=2022, user=people["first"], share=0.25).size == 2
    assert draw(bureau=bureau, year=2022, user=people["first"], size=99).assessments.count() == len(ITEMS)


def test_a_viewer_or_an_unassigned_analyst_cannot_draw(bureau, people, client):
    from django.core.exceptions import PermissionDenied

    for who in ("viewer", "stranger"):
        with pytest.raises(PermissionDenied):
            double_coding_sample_draw(bureau=bureau, year=2022, user=people[who], size=2)
        client.force_login(people[who])
        response = client.post(AGREEMENT, {"bureau": bureau.pk, "year": 2022, "size": 2})
        assert response.status_code in (400, 403)
    assert not DoubleCodingSample.objects.exists()


def test_the_agreement_page_draws_a_sample(bureau, people, client):
    client.force_login(people["first"])
    assert 'id="sample-draw"' in client.get(AGREEMENT).content.decode()

    response = client.post(AGREEMENT, {"bureau": bureau.pk, "year": 2022, "size": 4, "seed": 11})

    assert response.status_code == 302
    sample = DoubleCodingSample.objects.get()
    assert (sample.size, sample.seed, sample.drawn_by) == (4, 11, people["first"])
    assert sample.assessments.count() == 4
    assert client.post(AGREEMENT, {"bureau": bureau.pk, "year": 1999, "size": 4}).status_code == 400


# The second coder's queue and page


def test_the_queue_holds_sampled_items_not_confirmed_by_the_user_nor_coded_yet(bureau, people, client):
    double_coding_sample_draw(bureau=bureau, year=2022, user=people["first"], size=4, seed=3)
    sampled = sorted(DoubleCodingSample.objects.get().assessments.all(), key=lambda a: a.pk)
    decide(sampled[0], people["second"], "fulfilled")
    SecondCoding.objects.create(assessment=sampled[1], coder=people["first"], status="partial")

    client.force_login(people["second"])
    response = client.get(QUEUE)

    assert list(response.context["items"]) == sampled[2:]
    html = response.content.decode()
    assert code_url(sampled[2]) in html and code_url(sampled[0]) not in html


def test_the_second_coders_page_hides_the_first_and_the_machines_judgement(bureau, people, client):
    items = sample_all(bureau, people["first"])
    item = items[1]  # machine: partial, "只建成6个"
    decide(item, people["first"], "not_fulfilled")
    client.force_login(people["second"])

    response = client.get(code_url(item))

    html = response.content.decode()
    assert response.status_code == 200
    assert item.commitment.text in html and "民政工作 > 养老服务" in html
    assert "<mark>养老机构</mark>" in html and "<mark>3家</mark>" in html
    for hidden in ("只建成6个", "0.43", "0.87", "机器建议", "分析员确认", "置信度"):
        assert hidden not in html
    # Status names appear only as the form's choices (and the list of keys), none preselected.
    status_radios = re.findall(r'<input type="radio" name="status"[^>]*>', html)
    assert len(status_radios) == len(STATUS_LABELS) and not any("checked" in radio for radio in status_radios)
    without_keys = re.sub(r'<p class="key-line">.*?</p>|<dialog id="review-keys".*?</dialog>', "", html, flags=re.S)
    assert without_keys.count(STATUS_LABELS["not_fulfilled"]) == 1  # the choice, not the first decision


def test_the_first_coder_cannot_second_code_their_own_decision(bureau, people, client):
    item = sample_all(bureau, people["first"])[0]
    decide(item, people["first"], "fulfilled")
    client.force_login(people["first"])

    assert client.get(code_url(item)).status_code == 403
    assert client.post(code_url(item), {"status": "fulfilled"}).status_code == 403
    assert not SecondCoding.objects.exists()


def test_viewers_cannot_code_and_other_bureaus_items_are_not_found(
    bureau, people, client, make_user, other_bureau_assessment
):
    item = sample_all(bureau, people["first"])[0]
    double_coding_sample_draw(
        bureau=other_bureau_assessment.commitment.section.report.bureau, year=2022, user=_superuser(), size=1
    )

    client.force_login(people["viewer"])
    queue = client.get(QUEUE)
    assert list(queue.context["items"]) == [] and "你不能做双人复核" in queue.content.decode()
    assert client.get(code_url(item)).status_code == 403
    assert client.post(code_url(item), {"status": "fulfilled"}).status_code == 403

    client.force_login(people["stranger"])
    assert client.get(code_url(item)).status_code == 404

    client.force_login(people["second"])
    assert client.get(code_url(other_bureau_assessment)).status_code == 404
    assert client.post(code_url(other_bureau_assessment), {"status": "fulfilled"}).status_code == 404
    assert not SecondCoding.objects.exists()


def test_an_item_outside_the_sample_cannot_be_second_coded(bureau, people, client):
    double_coding_sample_draw(bureau=bureau, year=2022, user=people["first"], size=1, seed=5)
    outside = Assessment.objects.exclude(double_coding_samples__isnull=False).filter(
        pk__in=[a.pk for a in assessments(bureau)]
    )
    client.force_login(people["second"])

    assert client.get(code_url(outside.first())).status_code == 404


def test_save_and_next_records_the_judgement_and_moves_on(bureau, people, client):
    first, second, *_ = sample_all(bureau, people["first"])
    client.force_login(people["second"])

    response = client.post(
        code_url(first),
        {"status": "not_fulfilled", "evidence_choice": "1", "note": "  只是起草  ", "action": "save_next"},
    )

    assert response.status_code == 302 and response["Location"] == code_url(second)
    coding = SecondCoding.objects.get()
    assert (coding.assessment_id, coding.coder, coding.status) == (first.pk, people["second"], "not_fulfilled")
    assert coding.evidence_text == "回顾证据0：新建养老机构3家。" and coding.note == "只是起草"
    assert Assessment.objects.get(pk=first.pk).status == "fulfilled", "the first coding is untouched"
    assert first not in client.get(QUEUE).context["items"]

    # Revising keeps one row; the page shows the coder's own saved judgement.
    client.post(code_url(first), {"status": "partial", "evidence_choice": ""})
    assert SecondCoding.objects.get().status == "partial"
    assert re.search(
        r'<input type="radio" name="status" value="partial"[^>]*checked', client.get(code_url(first)).content.decode()
    )


def test_a_status_is_required_and_a_second_coder_cannot_overwrite_another(bureau, people, client, make_user):
    item = sample_all(bureau, people["first"])[0]
    client.force_login(people["second"])
    assert client.post(code_url(item), {"status": ""}).status_code == 400

    client.post(code_url(item), {"status": "partial"})
    third = make_user("third", "analyst", [bureau])
    client.force_login(third)
    response = client.post(code_url(item), {"status": "fulfilled"})

    assert response.status_code == 400 and "已由另一位分析员复核" in response.content.decode()
    assert list(SecondCoding.objects.values_list("coder__username", "status")) == [("second", "partial")]


# Agreement


def row_cells(html: str, bureau_name: str) -> dict:
    row = re.search(rf"<tr>\s*<td>{bureau_name}</td>.*?</tr>", html, re.S).group(0)
    return {name: re.search(rf'class="{name}">(.*?)</td>', row).group(1) for name in ("paired", "observed", "kappa")}


def test_the_agreement_page_shows_the_kappa_of_the_db_rows(bureau, people, client):
    items = sample_all(bureau, people["first"])
    first_labels = ["fulfilled", "partial", "fulfilled", "partial", "fulfilled"]
    second_labels = ["fulfilled", "partial", "partial", "partial", "not_fulfilled"]
    for item, a, b in zip(items, first_labels, second_labels, strict=False):
        decide(item, people["first"], a)
        SecondCoding.objects.create(assessment=item, coder=people["second"], status=b)
    # Coded by the second analyst, not yet decided by the first: left out.
    SecondCoding.objects.create(assessment=items[5], coder=people["second"], status="fulfilled")

    client.force_login(people["viewer"])
    response = client.get(f"{AGREEMENT}?bureau={bureau.pk}&year=2022")
    html = response.content.decode()

    pairs = [
        (c.assessment.status, c.status)
        for c in SecondCoding.objects.filter(assessment__source="analyst").select_related("assessment")
    ]
    expected = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    assert expected.n == 5 and expected.kappa is not None
    assert row_cells(html, bureau.name) == {
        "paired": "5",
        "observed": f"{expected.observed:.3f}",
        "kappa": f"{expected.kappa:.3f}",
    }
    assert "Cohen" in html and "偶然" in html
    confusion = response.context["confusion"]["agreement"]
    assert confusion.matrix == cohen_kappa(first_labels, second_labels, labels=list(STATUS_LABELS)).matrix
    assert 'id="sample-draw"' not in html, "a viewer reads but does not draw"


def test_kappa_shows_a_dash_when_undefined_and_pairs_by_the_first_coder_are_left_out(bureau, people, client):
    items = sample_all(bureau, people["first"])
    decide(items[0], people["first"], "fulfilled")
    SecondCoding.objects.create(assessment=items[0], coder=people["second"], status="fulfilled")
    # The second coder later became the one who confirmed: not independent, not counted.
    decide(items[1], people["second"], "partial")
    SecondCoding.objects.create(assessment=items[1], coder=people["second"], status="fulfilled")

    client.force_login(people["first"])
    html = client.get(AGREEMENT).content.decode()

    assert row_cells(html, bureau.name) == {"paired": "1", "observed": "1.000", "kappa": "—"}


def test_another_bureaus_agreement_is_neither_listed_nor_shown(bureau, people, client, other_bureau_assessment):
    other = other_bureau_assessment.commitment.section.report.bureau
    double_coding_sample_draw(bureau=other, year=2022, user=_superuser(), size=1)
    sample_all(bureau, people["first"])
    client.force_login(people["second"])

    response = client.get(AGREEMENT)
    assert [row.bureau for row in response.context["rows"]] == [bureau]
    assert client.get(f"{AGREEMENT}?bureau={other.pk}&year=2022").status_code == 404
    assert client.post(AGREEMENT, {"bureau": other.pk, "year": 2022, "size": 1}).status_code == 400


def test_the_admin_index_links_the_queue_and_the_agreement_page(people, client):
    client.force_login(people["second"])
    html = client.get("/admin/").content.decode()
    assert f'href="{QUEUE}"' in html and f'href="{AGREEMENT}"' in html and "双人复核" in html and "一致性" in html


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="root-pass")


@pytest.fixture
def lexical(settings):
    """Embeddings play no part in who may code what; lexical matching keeps the import quick."""
    settings.MATCH_EMBEDDINGS = False


def test_end_to_end_on_an_imported_report(lexical, zhongshan_pair, make_user, client):
    """Draw on the agreement page, confirm on the review page, second-code by save-and-next, read kappa."""
    bureau = zhongshan_pair[0].bureau
    first, second = make_user("zs-first", "analyst", [bureau]), make_user("zs-second", "analyst", [bureau])
    client.force_login(first)
    client.post(AGREEMENT, {"bureau": bureau.pk, "year": 2022, "size": 4, "seed": 2022})
    sampled = list(DoubleCodingSample.objects.get(bureau=bureau).assessments.order_by("pk"))
    assert len(sampled) == 4
    for item in sampled:
        response = client.post(
            reverse("review_assessment", args=[item.pk]), {"action": "confirm", "version": item.version}
        )
        assert response.status_code == 302
    confirmed = {a.pk: a for a in Assessment.objects.filter(pk__in=[a.pk for a in sampled])}
    assert {a.source for a in confirmed.values()} == {"analyst"}

    client.force_login(second)
    assert list(client.get(QUEUE).context["items"]) == sampled
    url = code_url(sampled[0])
    others = [s for s in STATUS_LABELS if s != confirmed[sampled[1].pk].status]
    for index, item in enumerate(sampled):
        page = client.get(url)
        assert page.context["commitment"] == item.commitment
        assert confirmed[item.pk].reason not in page.content.decode()
        status = others[0] if index == 1 else confirmed[item.pk].status
        response = client.post(url, {"status": status, "evidence_choice": "", "action": "save_next"})
        assert response.status_code == 302
        url = response["Location"]
    assert url == reverse("double_coding_queue")

    html = client.get(AGREEMENT).content.decode()
    rows = [(confirmed[c.assessment_id].status, c.status) for c in SecondCoding.objects.all()]
    expected = cohen_kappa([a for a, _ in rows], [b for _, b in rows])
    kappa = "—" if expected.kappa is None else f"{expected.kappa:.3f}"
    assert row_cells(html, bureau.name) == {"paired": "4", "observed": "0.750", "kappa": kappa}
