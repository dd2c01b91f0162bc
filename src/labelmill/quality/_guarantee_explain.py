"""Human-readable explanations of the project-level guarantee's decisions.

Every decision says what changed since the last round (the threshold, how many items went
back to review or became auto) and why, from the evidence: audited items above the old
threshold that this round's model gets wrong, a stricter test level (the error budget is
spread over the project's tests), too few audit answers to test, or a new model. The
causes are computed, not guessed: the old threshold is re-tested on this round's data at
the old and at the new level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.quality._guarantee_state import GuaranteeState

__all__ = ["DecisionChange", "describe_change", "statement"]


@dataclass(frozen=True)
class DecisionChange:
    """What changed since the last round, and why, for people.

    Attributes
    ----------
    kind : {"first", "restored", "lowered", "raised", "kept", "withdrawn", "none"}
        ``first``: the project's first auto-acceptance; ``restored``: auto-acceptance
        resumes after rounds without; ``withdrawn``: nothing is auto-accepted any more;
        ``none``: nothing was and nothing is.
    previous_threshold, threshold : float or None
    previous_n_auto, n_auto : int
    n_newly_auto, n_back_to_review : int or None
        Exact item flows when ``Population.was_auto`` was given, else None.
    causes : tuple of str
        ``"audit_errors"`` (more audited items above the previous threshold are wrong
        under this round's model), ``"stricter_level"`` (the previous threshold passes at
        the previous round's level but not at this round's), ``"model_changed"`` (neither:
        the new model's scores or labels moved), ``"more_audit"`` (a larger audit sample),
        ``"too_few_audited"`` (not enough audit answers to test).
    text : str
        One or two sentences for the CLI, the dashboard and the round record.
    """

    kind: str
    previous_threshold: float | None
    threshold: float | None
    previous_n_auto: int
    n_auto: int
    n_newly_auto: int | None
    n_back_to_review: int | None
    causes: tuple[str, ...]
    text: str


def _items(n: int) -> str:
    return f"{n:,} item" + ("" if n == 1 else "s")


def _count_word(n: int) -> str:
    words = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five"}
    return words.get(n, f"{n:,}")


def describe_change(
    *,
    prev: GuaranteeState,
    threshold: float | None,
    n_auto: int,
    auto: NDArray[np.bool_],
    was_auto: NDArray[np.bool_] | None,
    any_level: bool,
    level_now: float,
    level_before: float,
    recheck: Callable[[float], tuple[bool, int, int] | None],
    n_sample: int,
    n_min: int,
    n_needed: int | None = None,
) -> DecisionChange:
    """Compare this round's decision with the previous one and explain the difference.

    ``recheck(level)`` re-tests the previous cutoff on this round's data and returns
    ``(passed, n_audit_above, n_wrong_above)``; ``level_now`` and ``level_before`` are the
    levels the previously accepted set held this round and last round. ``n_needed``: the
    random audit sample at which the next share of the error budget enters (default
    ``2 * n_min``; more once a share was spent, since the sample must grow first).
    """
    needed = 2 * n_min if n_needed is None else n_needed
    old_t, old_n = prev.threshold, prev.n_auto
    newly = back = None
    if was_auto is not None:
        newly = int((auto & ~was_auto).sum())
        back = int((was_auto & ~auto).sum())
    ever = any(h.get("n_auto", 0) for h in prev.history)
    causes: list[str] = []
    if old_t is None and threshold is None:
        kind = "none"
    elif old_t is None:
        kind = "restored" if ever else "first"
    elif threshold is None:
        kind = "withdrawn"
    elif threshold < old_t:
        kind = "lowered"
    elif threshold > old_t:
        kind = "raised"
    else:
        kind = "kept"

    detail = ""
    if kind in ("raised", "withdrawn") and old_t is not None:
        now = recheck(level_now)
        before = level_before
        again = recheck(before) if before > 0 else None
        if not any_level:
            causes.append("too_few_audited")
            detail = (
                f"Too few audit answers to test ({n_sample} in the random sample, {needed} needed)"
            )
        elif now is not None and now[2] > prev.n_wrong_above:
            causes.append("audit_errors")
            extra = now[2] - prev.n_wrong_above
            verb = "was" if extra == 1 else "were"
            detail = (
                f"{_count_word(extra)} more audited item{'s' if extra > 1 else ''} above "
                f"{old_t:.3g} {verb} wrong ({now[2]} of {now[1]}, was {prev.n_wrong_above} of "
                f"{prev.n_audit_above})"
            )
        elif again is not None and again[0] and level_now < before:
            causes.append("stricter_level")
            detail = (
                f"The items above {old_t:.3g} would pass at last round's level {before:.2g} "
                f"but that set held only {level_now:.2g} this round"
            )
        else:
            causes.append("model_changed")
            detail = f"The new model's scores and labels no longer certify {old_t:.3g}"
    elif kind in ("lowered", "first", "restored"):
        if prev.history and n_sample > prev.history[-1].get("n_sample", 0):
            causes.append("more_audit")
        causes.append("model_changed")
    elif kind == "kept" and n_auto != old_n:
        causes.append("model_changed")
    elif kind == "none" and not any_level:
        causes.append("too_few_audited")

    flow_back = back if back is not None else max(0, old_n - n_auto)
    flow_new = newly if newly is not None else max(0, n_auto - old_n)
    if kind == "none":
        ever = any(h.get("n_auto") for h in prev.history)
        text = ("Nothing is auto-accepted: " if ever else "Nothing is auto-accepted yet: ") + (
            f"{n_sample} audited items in the random sample; the "
            f"{'first' if prev.n_injections == 0 else 'next'} test needs about {needed} "
            f"(at least {n_min} of them right above a threshold)."
            if not any_level
            else "no threshold passed its test."
        )
    elif kind in ("first", "restored"):
        text = (
            "First auto-acceptance" if kind == "first" else "Auto-acceptance resumes"
        ) + f": {_items(n_auto)} with confidence >= {threshold:.3g}."
    elif kind == "withdrawn":
        text = (
            f"{detail}; nothing is auto-accepted any more; {_items(flow_back)} went back to review."
        )
    elif kind == "raised":
        text = (
            f"{detail}; the threshold rose from {old_t:.3g} to {threshold:.3g}; "
            f"{_items(flow_back)} went back to review."
        )
    elif kind == "lowered":
        why = "more audit answers and a new model" if "more_audit" in causes else "a new model"
        text = (
            f"The threshold fell from {old_t:.3g} to {threshold:.3g} ({why}); "
            f"{_items(flow_new)} newly auto-accepted."
        )
    else:
        delta = n_auto - old_n
        text = f"The threshold stays at {threshold:.3g}; {_items(n_auto)} auto-accepted" + (
            f" ({delta:+,} as the new model's scores moved)." if delta else "."
        )
    return DecisionChange(
        kind=kind,
        previous_threshold=old_t,
        threshold=threshold,
        previous_n_auto=old_n,
        n_auto=n_auto,
        n_newly_auto=newly,
        n_back_to_review=back,
        causes=tuple(causes),
        text=text,
    )


def statement(decision: Any) -> str:
    """The project-level guarantee and this round's part of it, in two sentences."""
    d = decision
    delta = 1.0 - d.confidence
    head = (
        f"With probability at least {d.confidence:.0%}, no round of this project auto-accepts "
        f"labels that are less than {d.target_accuracy:.1%} accurate (error budget "
        f"{delta:.3g}: {d.alpha_injected:.3g} used so far, {d.alpha_held:.3g} of it held by "
        "certified sets)."
    )
    if d.threshold is None or d.n_auto == 0:
        return f"{head} This round auto-accepts nothing: {d.reason}"
    return (
        f"{head} This round auto-accepts {d.n_auto:,} labels (confidence >= {d.threshold:.3g}): "
        f"{d.n_wrong_above} of {d.n_audit_above} audited items above the threshold were wrong "
        f"(accuracy lower bound {d.lower_bound:.3f} at level {d.level:.2g})."
    )
