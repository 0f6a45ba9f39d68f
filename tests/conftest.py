"""Shared fixtures: where the shared reference files are, and a logged-in analyst."""

from __future__ import annotations

from pathlib import Path

import pytest

# CI clones the repository with shared/ beside it, as on a developer's machine.
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


def _existing(path: Path) -> Path:
    assert path.is_dir(), f"{path} is missing: shared/ must sit beside the repository"
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _existing(SHARED_DIR)


@pytest.fixture(scope="session")
def seeds_dir(shared_dir) -> Path:
    return _existing(shared_dir / "seeds")


@pytest.fixture(scope="session")
def devset_dir(shared_dir) -> Path:
    return _existing(shared_dir / "devset")


@pytest.fixture(scope="session")
def seed(seeds_dir):
    """seed("001") → the path of seed 001."""

    def find(number: str) -> Path:
        (path,) = seeds_dir.glob(f"{number}_*")
        return path

    return find


@pytest.fixture
def garbage_file(tmp_path) -> Path:
    """A binary file renamed .txt, the commonest bad input."""
    path = tmp_path / "garbage.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return path


@pytest.fixture
def staff_user(db):
    """The demo's kind of account: staff in the analyst group, not a superuser, assigned to every bureau
    (those the test creates later included, as the demo assigns all bureaus after importing)."""
    from django.db.models.signals import post_save

    from commitments.models import Bureau, BureauAssignment
    from commitments.services.demo import bureaus_assign_all, demo_user_ensure

    user = demo_user_ensure(username="analyst1", password="analyst1-pass")
    bureaus_assign_all(user=user)

    def assign(sender, instance, created, **kwargs):
        if created:
            BureauAssignment.objects.get_or_create(user=user, bureau=instance)

    post_save.connect(assign, sender=Bureau, weak=False, dispatch_uid="staff_user_assign")
    yield user
    post_save.disconnect(sender=Bureau, dispatch_uid="staff_user_assign")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def zhongshan_pair(db, seed, devset_dir):
    """中山市民政局's 2022 plan (seed 001) and, imported after it, a review of 2022: matched on import."""
    from commitments.services.reports import report_import

    plan = report_import(path=seed("001")).report
    review = report_import(path=devset_dir / "zhongshan_2022_review.synthetic.txt", bureau_name="中山市民政局").report
    assert plan.bureau == review.bureau
    return plan, review


@pytest.fixture
def make_user(db):
    """make_user("a1", "analyst", [bureau]) → a staff user of that group assigned to those bureaus."""
    from django.contrib.auth import get_user_model

    from commitments.models import BureauAssignment
    from commitments.services.demo import roles_ensure

    def make(username: str, group: str, bureaus=()):
        analyst, viewer = roles_ensure()
        user = get_user_model().objects.create_user(username=username, password="pass", is_staff=True)
        user.groups.add(analyst if group == "analyst" else viewer)
        for bureau in bureaus:
            BureauAssignment.objects.create(user=user, bureau=bureau)
        return user

    return make


@pytest.fixture
def other_bureau_assessment(db):
    """A machine proposal of another bureau (兰陵县民政局), written directly: only its owner matters."""
    from commitments.models import Assessment, Bureau, Commitment, Report, Section

    bureau = Bureau.objects.create(name="兰陵县民政局")
    text = "2022年工作计划\n一、推进养老服务体系建设，新建养老机构3家。"
    report = Report.objects.create(bureau=bureau, title="兰陵县民政局2021年工作总结", text=text, sha256="x" * 64)
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(text))
    commitment = Commitment.objects.create(
        section=section, text="推进养老服务体系建设，新建养老机构3家。", topic="养老服务", start=11, end=len(text)
    )
    return Assessment.objects.create(
        commitment=commitment,
        status="partial",
        confidence=0.01,
        reason="只找到部分",
        machine_status="partial",
        machine_confidence=0.01,
        machine_reason="只找到部分",
    )
