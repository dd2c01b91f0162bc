"""People in the loop: the queues that serve items (review, blind audit, crowd), the
answers they give (each one committed transaction), and what a team needs around them:
comments, assignment, personal progress and history, the item browser with adjudication,
and each person's quality."""

from labelmill.review._answers import add_answer, decide, undo_answer
from labelmill.review._assignments import MAX_ITEMS as MAX_ASSIGN
from labelmill.review._assignments import assign, assignment_summary, unassign
from labelmill.review._browse import (
    ItemFilter,
    browse,
    browse_options,
    item_record,
    match_pks,
    reveal,
)
from labelmill.review._comments import add_comment, comments, skips
from labelmill.review._progress import my_answers, my_progress, queue_sizes, snippet
from labelmill.review._quality import agreement_heatmap, people_quality
from labelmill.review._queues import QueueItem, audit_quota, card, check_queue, next_items

__all__ = [
    "MAX_ASSIGN",
    "ItemFilter",
    "QueueItem",
    "add_answer",
    "add_comment",
    "agreement_heatmap",
    "assign",
    "assignment_summary",
    "audit_quota",
    "browse",
    "browse_options",
    "card",
    "check_queue",
    "comments",
    "decide",
    "item_record",
    "match_pks",
    "my_answers",
    "my_progress",
    "next_items",
    "people_quality",
    "queue_sizes",
    "reveal",
    "skips",
    "snippet",
    "unassign",
    "undo_answer",
]
