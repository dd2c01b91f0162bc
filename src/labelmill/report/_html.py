"""Render a :class:`ReportInput` as one self-contained HTML page.

No script, no external resource, no inline ``style=`` attribute: the page's only style
block is allowed by its SHA-256 hash in a Content-Security-Policy ``<meta>`` tag, so the
page works under ``default-src 'none'``. Every piece of user text goes through
:func:`html.escape`.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from labelmill.report._model import (
    REPORT_FORMAT_VERSION,
    AuditSection,
    CheckSummary,
    ReportInput,
    RoundInfo,
    Table,
)
from labelmill.report._svg import (
    bar_chart,
    interval_chart,
    reliability_diagram,
    round_chart,
    stacked_bar,
)

__all__ = ["SECTIONS", "content_security_policy", "render_html"]

#: Section anchors and titles, in page order (the datasheet's questions).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("motivation", "1. Motivation"),
    ("composition", "2. Composition"),
    ("collection", "3. Collection process"),
    ("labeling", "4. Labeling process"),
    ("quality", "5. Quality of the labels"),
    ("issues", "6. Known issues"),
    ("uses", "7. Uses and distribution"),
    ("about", "8. About this report"),
)
_STATUS_ORDER = ("gold", "human", "auto", "review", "unlabeled")

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
  margin: 0; background: #fafafa; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 64px; background: #fff; }
h1 { font-size: 1.7em; margin: 0.2em 0; }
h2 { font-size: 1.35em; margin-top: 2em; border-bottom: 2px solid #3b6ea5; padding-bottom: 4px; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
.sub { color: #666; margin: 0; }
nav ul { columns: 2; padding-left: 1.2em; }
a { color: #2a5a8c; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { flex: 1 1 180px; border: 1px solid #ddd; border-radius: 6px; padding: 10px 12px; }
.card .big { font-size: 1.5em; font-weight: 600; }
.card .small { color: #555; font-size: 0.9em; }
.missing { border-left: 4px solid #c9a227; background: #fff8e1; padding: 8px 12px; margin: 8px 0; }
.note { color: #555; font-size: 0.92em; }
.guarantee { border-left: 4px solid #2e7d32; background: #eef7ee; padding: 8px 12px; }
.warn { border-left: 4px solid #b94a48; background: #fbeeee; padding: 8px 12px; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 0.88em; max-width: 100%; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f1f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { overflow-x: auto; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 16px; }
dt { font-weight: 600; } dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.h0 { background: #fff; } .h1 { background: #e8f0f8; } .h2 { background: #cfe0f0; }
.h3 { background: #a9c6e3; } .h4 { background: #7ea9d3; } .h5 { background: #4f86bd; color: #fff; }
.flag { color: #b94a48; font-weight: 600; }
footer { color: #777; font-size: 0.85em; margin-top: 3em; }
""".strip()


def content_security_policy() -> str:
    """The CSP the report needs: nothing but its own style block (by hash).

    A server that serves the report file can send this as the
    ``Content-Security-Policy`` header; the file carries it as a ``<meta>`` tag.

    Examples
    --------
    >>> content_security_policy().startswith("default-src 'none'; style-src 'sha256-")
    True
    """
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        if value.is_integer() and abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) >= 1000 or abs(value) < 1e-3 else f"{value:.3f}"
    return _e(value)


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}%}"


def _interval(est: float | None, lo: float | None, hi: float | None) -> str:
    if est is None or lo is None or hi is None:
        return "–"
    return f"{est:.1%} [{lo:.1%}, {hi:.1%}]"


def _missing(what: str, how: str) -> str:
    return f'<p class="missing"><strong>Missing:</strong> {_e(what)} {_e(how)}</p>'


def _dl(pairs: Iterable[tuple[str, Any]]) -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_num(v)}</dd>" for k, v in pairs if v is not None)
    return f"<dl>{items}</dl>" if items else ""


def _table(table: Table | None, caption: str, *, max_rows: int, heat: bool = False) -> str:
    if table is None:
        return ""
    rows = table.rows[:max_rows]
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    values = [v for row in rows for v in row[1:] if isinstance(v, int | float)]
    top = max([float(v) for v in values if not isinstance(v, bool)] + [1.0]) if heat else 1.0
    body = []
    for row in rows:
        cells = []
        for j, v in enumerate(row):
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            cls = ["num"] if numeric else []
            if heat and numeric and j > 0:
                cls.append(f"h{min(5, int(6 * float(v) / top)) if top else 0}")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            cells.append(f"<td{attr}>{_num(v)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    shown = len(rows)
    note = ""
    if table.total_rows > shown:
        note = (
            f'<p class="note">Showing the first {shown:,} of {table.total_rows:,} rows '
            "(the most important first); the JSON file has the same rows.</p>"
        )
    return (
        f'<div class="scroll"><table><caption>{_e(caption)}</caption><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _text(value: str | None, what: str, how: str) -> str:
    if not value:
        return _missing(what, how)
    paragraphs = [p.strip() for p in value.split("\n\n") if p.strip()]
    return "".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def _ordered_status(counts: dict[str, int]) -> list[tuple[str, float]]:
    known = [(s, float(counts[s])) for s in _STATUS_ORDER if counts.get(s)]
    other = [(s, float(v)) for s, v in counts.items() if s not in _STATUS_ORDER and v]
    return known + other


def _latest_round(rounds: Sequence[RoundInfo] | None) -> RoundInfo | None:
    done = [r for r in (rounds or []) if r.status == "done"]
    return done[-1] if done else None


def _accuracy_rows(audit: AuditSection | None, group_by: str) -> list[list[Any]]:
    if audit is None or audit.accuracy is None:
        return []
    t = audit.accuracy
    j = t.columns.index("group_by")
    return [row for row in t.rows if row[j] == group_by]


def _col(table: Table, row: list[Any], name: str) -> Any:
    return row[table.columns.index(name)] if name in table.columns else None


def _missing_sections(r: ReportInput) -> list[str]:
    out = []
    checks = {
        "motivation (project description)": r.project.description,
        "schema": r.schema,
        "data set summary": r.dataset,
        "collection process": r.collection and r.collection.collection_process,
        "rules": r.rules,
        "models and featurizers": r.models,
        "labeling rounds": r.rounds,
        "blind audit": r.audit,
        "consistency checks": r.checks,
        "label issues": r.label_issues,
        "provenance of labels": r.provenance,
        "intended uses and license": r.uses,
    }
    for name, value in checks.items():
        if value is None or value == "":
            out.append(name)
    return out


# --------------------------------------------------------------------------- sections
def _summary(r: ReportInput) -> str:
    cards = []
    ds = r.dataset
    if ds is not None:
        labeled = sum(v for s, v in ds.counts_by_status.items() if s != "unlabeled")
        share = labeled / ds.n_items if ds.n_items else None
        cards.append(("Items", f"{ds.n_items:,}", f"{_pct(share)} labeled"))
    overall = _accuracy_rows(r.audit, "all")
    if r.audit is not None and r.audit.accuracy is not None and overall:
        t, row = r.audit.accuracy, overall[0]
        cards.append(
            (
                "Estimated accuracy of all labels",
                _pct(_col(t, row, "accuracy")),
                f"{r.audit.confidence:.0%} interval [{_pct(_col(t, row, 'lower'))}, "
                f"{_pct(_col(t, row, 'upper'))}], {int(_col(t, row, 'n_audited') or 0):,} "
                "audited",
            )
        )
    latest = _latest_round(r.rounds)
    if latest is not None and latest.counts:
        total = sum(latest.counts.values()) or 1
        cards.append(
            (
                "Auto-accepted",
                _pct(latest.counts.get("auto", 0) / total),
                "threshold " + ("none" if latest.threshold is None else f"{latest.threshold:g}"),
            )
        )
    if r.label_issues is not None:
        li = r.label_issues
        rate = li.n_issues / li.n_checked if li.n_checked else None
        cards.append(
            (
                "Probably wrong labels",
                f"{li.n_issues:,}",
                f"of {li.n_checked:,} checked ({_pct(rate)})",
            )
        )
    html = ['<section id="summary"><h2>Summary</h2>']
    if cards:
        html.append('<div class="cards">')
        for title, big, small in cards:
            html.append(
                f'<div class="card"><div class="small">{_e(title)}</div>'
                f'<div class="big">{_e(big)}</div><div class="small">{_e(small)}</div></div>'
            )
        html.append("</div>")
    else:
        html.append('<p class="note">Nothing has been imported or labeled yet.</p>')
    if latest is not None and latest.guarantee:
        html.append(f'<p class="guarantee"><strong>Guarantee:</strong> {_e(latest.guarantee)}</p>')
    elif r.rounds is not None:
        html.append('<p class="note">No labeling round has finished yet: no guarantee.</p>')
    missing = _missing_sections(r)
    if missing:
        html.append(
            '<p class="missing"><strong>Not in this report yet:</strong> '
            + _e(", ".join(missing))
            + ". Each section below says what would fill it.</p>"
        )
    html.append("<nav><ul>")
    for anchor, title in SECTIONS[1:]:
        html.append(f'<li><a href="#{anchor}">{_e(title)}</a></li>')
    html.append("</ul></nav></section>")
    return "".join(html)


def _motivation(r: ReportInput) -> str:
    p = r.project
    body = _text(
        p.description,
        "why this data set was made and for which task.",
        "Add a description to the project (its purpose, who needs it, who funded it).",
    )
    return (
        '<section id="motivation"><h2>1. Motivation</h2>'
        + body
        + _dl([("Created by", p.created_by), ("Created", p.created_at)])
        + "</section>"
    )


def _composition(r: ReportInput, max_rows: int) -> str:
    html = ['<section id="composition"><h2>2. Composition</h2>']
    if r.schema is None:
        html.append(_missing("the label schema.", "Initialise the project with its classes."))
    else:
        s = r.schema
        html.append(
            _dl(
                [
                    ("Task", s.task),
                    ("Data type", s.data_type),
                    ("Classes", ", ".join(s.classes)),
                    ("Fields shown and featurized", ", ".join(s.fields) or None),
                ]
            )
        )
    ds = r.dataset
    if ds is None:
        html.append(_missing("counts of items and labels.", "Import items (labelmill import)."))
        html.append("</section>")
        return "".join(html)
    html.append(f"<p>The data set has <strong>{ds.n_items:,}</strong> items.</p>")
    if ds.counts_by_status:
        html.append("<h3>Items by label status</h3>")
        html.append(stacked_bar(_ordered_status(ds.counts_by_status), title="Items by status"))
        html.append(
            '<p class="note">gold: verified by a person or imported as gold; human: labeled '
            "by a person; auto: machine label auto-accepted under the guarantee; review: "
            "machine label waiting for a person; unlabeled: no label yet.</p>"
        )
    if ds.counts_by_class:
        html.append("<h3>Labels by class</h3>")
        items = [(k, float(v)) for k, v in ds.counts_by_class.items()]
        html.append(bar_chart(items, title="Labels per class"))
    balance = next((c for c in (r.checks or []) if c.name == "class_balance"), None)
    if balance is not None and balance.table is not None:
        html.append(_table(balance.table, "Class balance", max_rows=max_rows))
    dup = [
        ("Exact duplicate groups", ds.exact_duplicate_groups),
        ("Items that repeat another (exact)", ds.exact_duplicate_items),
        ("Near-duplicate groups", ds.near_duplicate_groups),
        ("Items that nearly repeat another", ds.near_duplicate_items),
        ("Near-duplicate threshold (cosine)", ds.near_duplicate_threshold),
    ]
    html.append("<h3>Duplicates</h3>")
    if all(v is None for _, v in dup):
        html.append(
            _missing("duplicate counts.", "Run labelmill check (content hashes, embeddings).")
        )
    else:
        html.append(_dl(dup))
    if ds.metadata_fields:
        html.append(f"<p>Items carry metadata: {_e(', '.join(ds.metadata_fields))}.</p>")
    html.append("</section>")
    return "".join(html)


def _collection(r: ReportInput, max_rows: int) -> str:
    html = ['<section id="collection"><h2>3. Collection process</h2>']
    c = r.collection
    html.append(
        _text(
            c.collection_process if c else None,
            "how the raw items were collected (source, time frame, sampling).",
            "Describe it in the project's report settings.",
        )
    )
    if c is not None and c.preprocessing:
        html.append("<h3>Preprocessing</h3>" + _text(c.preprocessing, "", ""))
    ds = r.dataset
    if ds is not None and ds.imports:
        rows = [
            [i.path, i.created_at, i.rows_read, i.items_added, i.duplicates, i.rejected]
            for i in ds.imports
        ]
        table = Table(
            ["file", "imported", "rows read", "items added", "duplicates", "rejected"],
            rows,
        )
        html.append(_table(table, "Imports", max_rows=max_rows))
    if c is not None and (c.annotators or c.answers_by_queue or c.annotation_guidelines):
        html.append("<h3>People</h3>")
        html.append(
            _dl(
                [(f"People with role {k}", v) for k, v in c.annotators.items()]
                + [(f"Answers in the {k} queue", v) for k, v in c.answers_by_queue.items()]
                + [("Guidelines", c.annotation_guidelines)]
            )
        )
    html.append("</section>")
    return "".join(html)


def _labeling(r: ReportInput, max_rows: int) -> str:
    html = [
        '<section id="labeling"><h2>4. Labeling process</h2>',
        '<p class="note">Rules, models and people cast votes; a label model combines the '
        "votes into a posterior per item; an end model trained on people's labels and the "
        "posteriors predicts every item; a threshold chosen on a blind random audit sample "
        "(exact binomial test along a fixed sequence of thresholds) decides which machine "
        "labels are auto-accepted; the rest go to people.</p>",
    ]
    html.append("<h3>Rules</h3>")
    if r.rules is None:
        html.append(_missing("the rules.", "Register rules (labelmill rules PROJECT FILE)."))
    elif not r.rules:
        html.append("<p>No rule was used.</p>")
    else:
        rows = [
            [
                x.name,
                x.version,
                x.kind,
                "yes" if x.active else "no",
                ", ".join(x.polarity),
                x.coverage,
                x.conflicts,
                x.n_judged,
                _interval(x.accuracy, x.lower, x.upper),
                x.description,
            ]
            for x in r.rules
        ]
        columns = [
            "rule",
            "version",
            "kind",
            "active",
            "votes for",
            "coverage",
            "conflicts",
            "audited votes",
            "accuracy [interval]",
            "definition",
        ]
        html.append(_table(Table(columns, rows), "Rules", max_rows=max_rows))
    html.append("<h3>Models and featurizers</h3>")
    if r.models is None:
        html.append(_missing("the models.", "Run a labeling round (labelmill run)."))
    else:
        rows = [[m.role, m.name, m.version, m.details] for m in r.models]
        html.append(
            _table(Table(["role", "name", "version", "details"], rows), "Models", max_rows=max_rows)
        )
    html.append("<h3>Rounds</h3>")
    if not r.rounds:
        html.append(_missing("labeling rounds.", "Run a labeling round (labelmill run)."))
    else:
        points = []
        for x in r.rounds:
            total = sum(x.counts.values())
            share = x.counts.get("auto", 0) / total if total else None
            points.append((x.round_id, share, x.audit_accuracy))
        if len(points) > 1:
            html.append(round_chart(points, title="Rounds"))
        rows = [
            [
                x.round_id,
                x.status,
                x.finished_at or x.started_at,
                x.target_accuracy,
                x.confidence,
                "none" if x.threshold is None else x.threshold,
                x.counts.get("auto"),
                x.counts.get("review"),
                x.n_audit,
                x.audit_accuracy,
                x.auto_lower,
                x.strategy,
                x.error,
            ]
            for x in reversed(r.rounds)
        ]
        columns = [
            "round",
            "status",
            "time",
            "target",
            "confidence",
            "threshold",
            "auto",
            "review",
            "audited",
            "audit accuracy",
            "certified lower bound",
            "queue order",
            "error",
        ]
        html.append(_table(Table(columns, rows), "Rounds, newest first", max_rows=max_rows))
        stated = [x for x in reversed(r.rounds) if x.guarantee][:5]
        if stated:
            html.append("<p>Guarantee stated by each round (newest first):</p><ul>")
            html.extend(f"<li>Round {x.round_id}: {_e(x.guarantee)}</li>" for x in stated)
            html.append("</ul>")
    html.append("<h3>Provenance of the labels</h3>")
    p = r.provenance
    if p is None:
        html.append(_missing("where labels came from.", "Run a labeling round."))
    else:
        if p.by_status:
            html.append(stacked_bar(_ordered_status(p.by_status), title="Labels by status"))
        if p.by_status_and_class:
            classes = sorted({c for d in p.by_status_and_class.values() for c in d})
            if r.schema is not None:
                classes = [c for c in r.schema.classes if c in classes] + [
                    c for c in classes if c not in r.schema.classes
                ]
            rows = [
                [status, *[p.by_status_and_class[status].get(c, 0) for c in classes]]
                for status in [s for s in _STATUS_ORDER if s in p.by_status_and_class]
                + [s for s in p.by_status_and_class if s not in _STATUS_ORDER]
            ]
            html.append(
                _table(
                    Table(["status", *classes], rows),
                    "Labels by status and class",
                    max_rows=max_rows,
                )
            )
        if p.by_source_kind:
            html.append(_dl([(f"Votes from {k} sources", v) for k, v in p.by_source_kind.items()]))
    html.append("</section>")
    return "".join(html)


def _quality(r: ReportInput, max_rows: int) -> str:
    html = ['<section id="quality"><h2>5. Quality of the labels</h2>']
    a = r.audit
    if a is None:
        html.append(
            _missing(
                "a blind audit.",
                "Have people label items of the audit queue blind (labelmill serve, audit "
                "mode); every estimate here comes from that random sample.",
            )
        )
        html.append("</section>")
        return "".join(html)
    html.append(
        f"<p>{a.n_audited:,} items of a uniform random sample were labeled blind by people "
        f"(without seeing the suggestion). Intervals are exact (Clopper-Pearson) at "
        f"{a.confidence:.0%}.</p>"
    )
    latest = _latest_round(r.rounds)
    target = latest.target_accuracy if latest is not None else None
    if a.accuracy is not None:
        t = a.accuracy
        for group_by, title in (("status", "by status"), ("class", "by class (label given)")):
            rows = _accuracy_rows(a, group_by)
            chart_rows = [
                (
                    str(_col(t, row, "group")),
                    _col(t, row, "accuracy"),
                    float(_col(t, row, "lower") or 0.0),
                    float(_col(t, row, "upper") or 1.0),
                    int(_col(t, row, "n_audited") or 0),
                )
                for row in rows
                if (_col(t, row, "n_audited") or 0) > 0
            ]
            if chart_rows:
                html.append(f"<h3>Accuracy {title}</h3>")
                html.append(interval_chart(chart_rows, title=f"Accuracy {title}", target=target))
        if a.threshold_candidates > 1:
            html.append(
                f'<p class="note">The auto/review split was chosen on this same audit sample, '
                f"so the intervals of those two statuses hold simultaneously over the "
                f"{a.threshold_candidates} thresholds the policy could have chosen (Bonferroni)."
                "</p>"
            )
        html.append(_table(t, "Accuracy from the blind audit", max_rows=max_rows))
    html.append("<h3>Calibration of the shown confidence</h3>")
    if a.calibration is None or not a.calibration.rows:
        html.append(_missing("a reliability diagram.", "It needs audited items with a confidence."))
    else:
        c = a.calibration
        bins = [
            (
                float(_col(c, row, "bin_lower")),
                float(_col(c, row, "bin_upper")),
                float(_col(c, row, "mean_confidence")),
                float(_col(c, row, "accuracy")),
                float(_col(c, row, "lower")),
                float(_col(c, row, "upper")),
                int(_col(c, row, "n")),
            )
            for row in c.rows
        ]
        html.append(reliability_diagram(bins, title="Reliability diagram"))
        html.append(
            f"<p>Expected calibration error {_num(a.ece)}, maximum {_num(a.mce)} "
            "(0 = the confidence shown is the accuracy).</p>"
        )
    html.append("<h3>Metrics against gold</h3>")
    if a.per_class is None:
        html.append(_missing("per-class precision and recall.", "They need gold labels."))
    else:
        if a.gold_source:
            html.append(f'<p class="note">Measured against: {_e(a.gold_source)}.</p>')
        html.append(_table(a.per_class, "Precision, recall and F1 per class", max_rows=max_rows))
        if a.confusion is not None:
            html.append(
                _table(
                    a.confusion,
                    "Confusion matrix (rows: gold, columns: label)",
                    max_rows=max_rows,
                    heat=True,
                )
            )
    if a.rule_accuracy is not None:
        html.append("<h3>Accuracy of each rule</h3>")
        html.append(_table(a.rule_accuracy, "Rules, least accurate first", max_rows=max_rows))
    html.append("<h3>Where the errors are (slices)</h3>")
    if a.slices is None:
        html.append(_missing("error analysis by slices.", "It needs audited items with errors."))
    else:
        html.append(
            '<p class="note">Audited items grouped by rule vote, metadata value and embedding '
            "cluster, least accurate first; <em>worse_than_rest</em> marks slices with "
            "significantly more errors than the other audited items (Fisher exact test, "
            "Benjamini-Hochberg false discovery rate 5%).</p>"
        )
        html.append(_table(a.slices, "Slices, worst first", max_rows=max_rows))
    html.append("</section>")
    return "".join(html)


def _check_block(c: CheckSummary, max_rows: int) -> str:
    head = f"<h3>{_e(c.title)}</h3>"
    if c.skipped:
        return head + f'<p class="note">Not run: {_e(c.skipped)}.</p>'
    if c.n_flagged == 0:
        return head + "<p>Nothing found.</p>" + _table(c.table, c.title, max_rows=max_rows)
    return (
        head
        + f'<p><span class="flag">{c.n_flagged:,} flagged.</span></p>'
        + _table(c.table, c.title, max_rows=max_rows)
    )


def _issues(r: ReportInput, max_rows: int) -> str:
    html = ['<section id="issues"><h2>6. Known issues</h2>']
    li = r.label_issues
    html.append("<h3>Labels that are probably wrong</h3>")
    if li is None:
        html.append(
            _missing("label issues.", "Run labelmill check (it needs labels and features).")
        )
    else:
        rate = li.n_issues / li.n_checked if li.n_checked else None
        html.append(
            f"<p>{li.n_issues:,} of {li.n_checked:,} labels checked ({_pct(rate)}) are "
            f"probably wrong; estimated share of wrong labels "
            f'{_pct(li.estimated_noise_rate)}.</p><p class="note">Method: {_e(li.method)}.</p>'
        )
        if li.by_source:
            html.append(_dl([(f"Flagged among {k}", v) for k, v in li.by_source.items()]))
        html.append(_table(li.top, "Most likely wrong labels", max_rows=max_rows))
    if r.checks is None:
        html.append(_missing("consistency checks.", "Run labelmill check."))
    else:
        for c in r.checks:
            if c.name in ("class_balance", "label_issues"):
                continue
            html.append(_check_block(c, max_rows))
    html.append("</section>")
    return "".join(html)


def _uses(r: ReportInput) -> str:
    u = r.uses
    html = ['<section id="uses"><h2>7. Uses and distribution</h2>']
    if u is None:
        html.append(
            _missing(
                "intended uses, uses to avoid, license and maintainer.",
                "Add them to the project's report settings.",
            )
        )
    else:
        html.append("<h3>Intended uses</h3>")
        html.append(_text(u.intended_uses, "intended uses.", "Say what the labels are for."))
        html.append("<h3>Uses to avoid</h3>")
        html.append(
            _text(
                u.not_recommended, "uses to avoid.", "Say what these labels must not be used for."
            )
        )
        html.append(
            _dl(
                [
                    ("License", u.license),
                    ("Cite as", u.citation),
                    ("Maintainer", u.maintainer),
                    ("Contact", u.contact),
                ]
            )
        )
    html.append("</section>")
    return "".join(html)


def _about(r: ReportInput) -> str:
    p = r.project
    return (
        '<section id="about"><h2>8. About this report</h2>'
        + _dl(
            [
                ("Generated", p.generated_at),
                ("labelmill version", p.labelmill_version),
                ("Report format version", REPORT_FORMAT_VERSION),
            ]
        )
        + '<p class="note">Every accuracy in this report is estimated from the blind random '
        "audit sample, never from the items people reviewed (those are chosen by active "
        "learning and are not random). Intervals are exact binomial (Clopper-Pearson). The "
        "same content is in the JSON file next to this page.</p></section>"
    )


def render_html(report: ReportInput, *, max_rows: int = 200) -> str:
    """Render the report as one self-contained HTML page.

    Parameters
    ----------
    report : ReportInput
    max_rows : int, default=200
        Rows shown per table (tables say how many they had).

    Returns
    -------
    str
        The page: inline CSS (allowed by hash), inline SVG charts, no script.

    Examples
    --------
    >>> from labelmill.report import ProjectInfo, ReportInput
    >>> page = render_html(ReportInput(project=ProjectInfo(name="<empty>")))
    >>> "&lt;empty&gt;" in page and "<script" not in page and "Missing:" in page
    True
    """
    r = report
    title = f"Datasheet: {r.project.name}"
    sub = [f"Generated {r.project.generated_at}" if r.project.generated_at else None]
    if r.project.labelmill_version:
        sub.append(f"labelmill {r.project.labelmill_version}")
    body = "".join(
        [
            _summary(r),
            _motivation(r),
            _composition(r, max_rows),
            _collection(r, max_rows),
            _labeling(r, max_rows),
            _quality(r, max_rows),
            _issues(r, max_rows),
            _uses(r),
            _about(r),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(content_security_policy())}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="sub">{_e(" · ".join(s for s in sub if s))}</p></header>'
        f"{body}<footer>Made with labelmill. This page runs no script and loads nothing "
        "from the network.</footer></main></body></html>\n"
    )
