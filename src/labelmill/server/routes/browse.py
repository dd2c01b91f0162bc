"""The item browser of reviewers and admins: search and filter items, open one and see who
answered what, decide on it (adjudication)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from labelmill.enums import Status
from labelmill.server import service
from labelmill.server.deps import ProjectDep, ReviewerUser
from labelmill.server.schemas import DecisionIn

__all__ = ["router"]

router = APIRouter(prefix="/api/browse", tags=["browse"])
Confidence = Annotated[float | None, Query(ge=0, le=1)]


@router.get("/items")
def items(
    project: ProjectDep,
    reviewer: ReviewerUser,
    text: Annotated[str | None, Query(max_length=200)] = None,
    statuses: Annotated[str | None, Query(description="Comma-separated statuses.")] = None,
    label: str | None = None,
    min_confidence: Confidence = None,
    max_confidence: Confidence = None,
    rule: str | None = None,
    person: str | None = None,
    disagreement: bool = False,
    skipped: bool = False,
    commented: bool = False,
    assigned_to: str | None = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Items matching every filter given, in import order, a page at a time (``next``:
    pass it as ``after`` for the following page); ``count`` on the first page (up to
    10,001)."""
    given = {
        "text": text or None,
        "statuses": statuses,
        "label": label or None,
        "min_confidence": min_confidence,
        "max_confidence": max_confidence,
        "rule": rule or None,
        "person": person or None,
        "disagreement": disagreement,
        "skipped": skipped,
        "commented": commented,
        "assigned_to": assigned_to or None,
    }
    flt = service.item_filter({k: v for k, v in given.items() if v not in (None, False)})
    return project.browse(flt, after=after, limit=limit)


@router.get("/options")
def options(project: ProjectDep, reviewer: ReviewerUser) -> dict[str, Any]:
    """What the filters can take: classes, statuses, rules, people."""
    return {
        "classes": list(project.schema.classes),
        "statuses": [s.value for s in Status],
        **project.browse_options(),
    }


@router.get("/items/{item_id}")
def item(project: ProjectDep, reviewer: ReviewerUser, item_id: str) -> dict[str, Any]:
    """Everything about an item: payload, label, status, confidence, the model's and rules'
    votes with highlights, people's current answers and the history of their votes, skips
    with reasons, comments, assignment. Opening it means you saw its suggestion: it is
    never served to you blind afterwards."""
    return service.browse_item(project, reviewer, item_id)


@router.post("/items/{item_id}/decision")
def decide(
    request: Request, project: ProjectDep, reviewer: ReviewerUser, item_id: str, body: DecisionIn
) -> dict[str, Any]:
    """Decide an item's label (adjudication): accept an answer or override it. The decision
    is your vote in the review queue; the item becomes human. Gold items stay as they are."""
    label: Any = body.label
    if project.schema.multilabel and isinstance(label, str):
        label = [label]
    with request.app.state.write_lock():
        decided = project.decide(item_id, label, user=reviewer.name)
    return {"item_id": item_id, "label": decided, "by": reviewer.name}
