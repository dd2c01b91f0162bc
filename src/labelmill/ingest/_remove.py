"""Taking items out of a project (``labelmill remove``), in one transaction.

Removing an item deletes it with everything that hangs on it: its label, its votes (rules',
models' and people's answers), its leases. The votes history stays consistent: no vote
points at an item that is gone, and the running counts of people's answers per queue (which
size the blind audit in the review queue) lose the removed answers, so the queue mixes in
audit items again until the audit sample has its size. The audit log keeps a record of the
removal (the ids, and how many votes and answers went with them).

What it means for the guarantee: the audit sample is the random-key order over the items
that remain, so it stays a random sample as long as items are removed for reasons that have
nothing to do with whether the model was right on them (a deleted image, a duplicate, an
item out of scope). Removing audited items *because* the model got them wrong would bias
the accuracy estimate upward; :class:`RemovalReport` says how many audit answers went.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from labelmill.exceptions import ConfigError, NotFoundError
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as queue_sql

__all__ = ["RemovalReport", "missing_media", "remove_items"]

_PAGE = 5_000


@dataclass
class RemovalReport:
    """What a removal took out of the project."""

    removed: list[str] = field(default_factory=list)
    votes: int = 0
    review_answers: int = 0
    audit_answers: int = 0

    def summary(self) -> str:
        parts = [f"removed {len(self.removed)} item(s) and their {self.votes} vote(s)"]
        if self.review_answers:
            parts.append(f"{self.review_answers} review answer(s) went with them")
        if self.audit_answers:
            parts.append(
                f"{self.audit_answers} blind audit answer(s) went with them: the audit sample "
                "is that much smaller (the queue will ask for replacements)"
            )
        return "; ".join(parts)


def remove_items(store: Store, item_ids: Sequence[str], *, actor: str = "library") -> RemovalReport:
    """Remove the items ``item_ids`` (see the module docstring), all or none.

    Raises
    ------
    ConfigError
        No item ids given.
    NotFoundError
        An id is not in the project (nothing is removed; the first unknown ones named).
    """
    ids = list(dict.fromkeys(str(i) for i in item_ids))
    if not ids:
        raise ConfigError("Name the items to remove (their ids), or use --missing-images.")

    def work(session: Session) -> RemovalReport:
        found = item_sql.pks_of(session, ids)
        unknown = [i for i in ids if i not in found]
        if unknown:
            shown = ", ".join(repr(i) for i in unknown[:5])
            raise NotFoundError(
                f"No item with id {shown} in this project"
                + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else "")
                + "; nothing was removed. List ids with: labelmill items PROJECT"
            )
        pks = [found[i] for i in ids]
        counts = item_sql.removal_summary(session, pks)
        item_sql.delete_items(session, pks)
        for queue in ("review", "audit"):
            item_sql.lower_counter(session, f"answers:{queue}", counts[f"answers:{queue}"])
        report = RemovalReport(
            removed=ids,
            votes=counts["votes"],
            review_answers=counts["answers:review"],
            audit_answers=counts["answers:audit"],
        )
        details = {
            "items": ids[:1000],
            "count": len(ids),
            "votes": report.votes,
            "review_answers": report.review_answers,
            "audit_answers": report.audit_answers,
        }
        queue_sql.log_action(session, actor, "remove items", f"{len(ids)} item(s)", details)
        return report

    return store.write(work, retries=0)


def missing_media(store: Store, schema: Schema) -> list[str]:
    """Ids of the image items whose file is no longer there (they make rounds fail)."""
    if schema.data_type != "image":
        raise ConfigError(
            f"--missing-images applies to image projects; this one is a {schema.data_type} project."
        )
    return [item_id for item_id, path in _image_paths(store) if not Path(path).is_file()]


def _image_paths(store: Store) -> Iterator[tuple[str, str]]:
    last = 0
    while True:
        with store.session() as session:
            page = item_sql.item_page(session, last, _PAGE)
        if not page:
            return
        last = page[-1][0]
        for _pk, item_id, payload, _meta in page:
            yield item_id, str(payload)
