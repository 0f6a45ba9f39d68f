"""What one analyst did in this browser session on the review page: the decisions saved (for the progress
line, per queue filter) and the undo stack. Kept in the Django session: nothing here is a record, the
assessment's history is; undo goes through it as a revert."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.http import HttpRequest

KEY = "review_session"
UNDO_DEPTH = 50


@dataclass(frozen=True)
class Undoable:
    assessment_id: int
    version: int  # the version the decision made: undo refuses if someone saved after it
    history_id: int  # the history row to restore: the assessment as it was before the decision
    filters: str  # the queue filter the decision was taken under


def _state(request: HttpRequest) -> dict:
    return request.session.get(KEY) or {"done": {}, "undo": []}


def _store(request: HttpRequest, state: dict) -> None:
    request.session[KEY] = state
    request.session.modified = True


def decision_record(request: HttpRequest, entry: Undoable) -> None:
    state = _state(request)
    done = state["done"].setdefault(entry.filters, [])
    if entry.assessment_id not in done:
        done.append(entry.assessment_id)
    state["undo"] = [*state["undo"], asdict(entry)][-UNDO_DEPTH:]
    _store(request, state)


def decisions_done(request: HttpRequest, filters: str) -> list[int]:
    return list(_state(request)["done"].get(filters, []))


def undo_peek(request: HttpRequest) -> Undoable | None:
    stack = _state(request)["undo"]
    return Undoable(**stack[-1]) if stack else None


def undo_pop(request: HttpRequest, *, undone: bool, restored_version: int | None = None) -> Undoable | None:
    """Take the last decision off the stack. When it was undone, it leaves the progress count, and an
    earlier decision of the same item (which made exactly the state now restored) is undoable from the
    restored version."""
    state = _state(request)
    if not state["undo"]:
        return None
    entry = Undoable(**state["undo"].pop())
    if undone:
        earlier = [u for u in state["undo"] if u["assessment_id"] == entry.assessment_id]
        if earlier and restored_version is not None:
            earlier[-1]["version"] = restored_version
        done = state["done"].get(entry.filters, [])
        if entry.assessment_id in done and not earlier:
            done.remove(entry.assessment_id)
    _store(request, state)
    return entry
