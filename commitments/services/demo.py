"""Writes for a new deployment: the analyst and viewer roles, the demo account and the seed reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission

from commitments.engine.ingest.bureau import detect_bureau
from commitments.models import Bureau, BureauAssignment
from commitments.selectors.access import ANALYST_GROUP, VIEWER_GROUP
from commitments.services.reports import ImportOutcome, report_files_collect, report_import


@dataclass(frozen=True)
class DemoOutcome:
    imports: list[ImportOutcome]
    username: str
    password: str


def roles_ensure() -> tuple[Group, Group]:
    """The `analyst` (reads and corrects everything of this app) and `viewer` (reads) groups.

    Permissions are derived from the app's models each time, so models added later are covered by
    re-running the demo.
    """
    perms = Permission.objects.filter(content_type__app_label="commitments")
    analyst, _ = Group.objects.get_or_create(name=ANALYST_GROUP)
    viewer, _ = Group.objects.get_or_create(name=VIEWER_GROUP)
    # Who sees which bureau is the superuser's to decide, not the analysts'.
    perms = [p for p in perms if not p.codename.endswith("bureauassignment")]
    bureau_delete = {"delete_bureau", "delete_historicalbureau"}
    analyst.permissions.set([p for p in perms if p.codename not in bureau_delete])
    viewer.permissions.set([p for p in perms if p.codename.startswith("view_")])
    return analyst, viewer


def demo_user_ensure(*, username: str = "demo", password: str = "demo") -> AbstractBaseUser:
    """A staff account in the analyst group (not a superuser), reset to the known password."""
    analyst, _ = roles_ensure()
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username)
    user.is_staff = True
    user.is_superuser = False
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.add(analyst)
    return user


def bureaus_assign_all(*, user) -> int:
    """Assign every bureau, the placeholder included, to a user; returns how many were new."""
    have = set(BureauAssignment.objects.filter(user=user).values_list("bureau_id", flat=True))
    new = [BureauAssignment(user=user, bureau=b) for b in Bureau.objects.exclude(pk__in=have)]
    BureauAssignment.objects.bulk_create(new)
    return len(new)


def demo_setup(
    *, seeds_dir: Path, reviews_dir: Path | None = None, on_file: Callable[[Path], None] | None = None
) -> DemoOutcome:
    """Roles, the demo account and the seed reports; running it again changes nothing.

    With `reviews_dir`, next-year reviews found there are imported too, but only those whose
    bureau a seed report already brought in, so that the demo shows plans matched against reviews.
    """
    from commitments.engine.ingest.readers import ReportReadError, read_report

    user = demo_user_ensure()
    outcomes = []
    for path in report_files_collect([seeds_dir]):
        if on_file:
            on_file(path)
        outcomes.append(report_import(path=path, imported_by=user))
    if reviews_dir is not None and reviews_dir.is_dir():
        known = set(Bureau.objects.filter(is_placeholder=False).values_list("name", flat=True))
        for path in sorted(reviews_dir.glob("*review*.txt")):
            try:
                document = read_report(path)
            except ReportReadError:
                continue
            bureau = detect_bureau(document.text, document.title or "")
            if bureau in known:
                if on_file:
                    on_file(path)
                outcomes.append(report_import(path=path, bureau_name=bureau, imported_by=user))
    bureaus_assign_all(user=user)
    return DemoOutcome(imports=outcomes, username="demo", password="demo")
