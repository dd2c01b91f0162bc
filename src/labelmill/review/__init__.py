"""People in the loop: the queues that serve items (review, blind audit, crowd) and the
answers they give, each one committed transaction."""

from labelmill.review._answers import add_answer, undo_answer
from labelmill.review._queues import QueueItem, audit_quota, check_queue, next_items

__all__ = ["QueueItem", "add_answer", "audit_quota", "check_queue", "next_items", "undo_answer"]
