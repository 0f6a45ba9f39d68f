"""Who may see and edit what: the bureau assignments of a user, the one place such rules are decided."""

from __future__ import annotations

from commitments.models import BureauAssignment

# The two roles (Django groups): analysts decide on their bureaus, viewers read them.
ANALYST_GROUP = "analyst"
VIEWER_GROUP = "viewer"


def bureau_ids_for_user(user) -> set[int] | None:
    """The bureaus a user may see; None means all of them (a superuser)."""
    if not user.is_active:
        return set()
    if user.is_superuser:
        return None
    if not user.groups.filter(name__in=[ANALYST_GROUP, VIEWER_GROUP]).exists():
        return set()
    return set(BureauAssignment.objects.filter(user=user).values_list("bureau_id", flat=True))


def user_may_see_bureau(*, user, bureau_id: int) -> bool:
    ids = bureau_ids_for_user(user)
    return ids is None or bureau_id in ids


def user_may_edit_bureau(*, user, bureau_id: int) -> bool:
    """Analysts decide on the bureaus assigned to them; viewers never decide."""
    if user.is_active and user.is_superuser:
        return True
    if not user.is_active or not user.groups.filter(name=ANALYST_GROUP).exists():
        return False
    return BureauAssignment.objects.filter(user=user, bureau_id=bureau_id).exists()


def bureau_ids_editable_by(user) -> set[int] | None:
    """The bureaus a user may decide on; None means all of them (a superuser)."""
    if user.is_active and user.is_superuser:
        return None
    if not user.is_active or not user.groups.filter(name=ANALYST_GROUP).exists():
        return set()
    return set(BureauAssignment.objects.filter(user=user).values_list("bureau_id", flat=True))
