"""Command definitions. Each command parses options, calls the library, prints the result.

Configuration comes from options and the ``LABELMILL_DATABASE_URL`` environment variable,
read here and passed down; the library itself reads no environment.
Every :class:`~labelmill.exceptions.LabelmillError` becomes a one-line ``Error: ...`` and
exit status 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import click

from labelmill import __version__
from labelmill.cli._common import DB_OPTION, open_project
from labelmill.cli.engine_options import engine_options, round_engine
from labelmill.enums import Status, Strategy
from labelmill.exceptions import LabelmillError

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Group(click.Group):
    """Turns labelmill's errors into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LabelmillError as exc:
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError as exc:
            if exc.filename is not None:
                raise click.ClickException(f"{exc.strerror or exc} ({exc.filename}).") from exc
            # The reader stopped early (`labelmill items P | head`): not an error.
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except OSError as exc:  # a file or folder the command could not use
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(f"{exc.strerror or exc}{where}.") from exc
        except KeyboardInterrupt:
            click.echo("Interrupted; the project is as it was before the command.", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labelmill")
def cli() -> None:
    """labelmill: label data sets automatically, and prove how good the labels are."""


def main() -> None:
    quiet_third_party_bars()
    cli(prog_name="labelmill")


def quiet_third_party_bars() -> None:
    """Silence the progress bars of Hugging Face libraries (sentence-transformers' "Loading
    weights", datasets' "Saving the dataset"): labelmill shows its own progress. Set through
    their environment variables before they are imported; a value the user set wins."""
    import os

    for name in ("HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


#: seconds between progress lines when stderr is not a terminal (a log, a pipe)
_LOG_EVERY = 3.0


@contextmanager
def progress_bar(description: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """Progress on stderr; yields (advance, set_total) callbacks. A rich bar in a terminal;
    otherwise a plain line every few seconds of work (nothing for quick work)."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        state = {"done": 0, "total": 0, "start": time.perf_counter(), "said": time.perf_counter()}

        def advance(n: int) -> None:
            state["done"] += n
            now = time.perf_counter()
            if now - state["said"] >= _LOG_EVERY:
                state["said"] = now
                of = f" of {int(state['total']):,}" if state["total"] else ""
                seconds = now - state["start"]
                click.echo(f"{description}: {int(state['done']):,}{of} ({seconds:.0f} s)", err=True)

        yield advance, lambda total: state.update(total=total)
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield (
            lambda n: bar.advance(task, n),
            lambda total: bar.update(task, total=total),
        )


@contextmanager
def item_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback: a bar with the rate in a terminal, else one
    line with the count and seconds at the end."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    seen = {"done": 0, "total": 0}
    start = time.perf_counter()
    if not console.is_terminal:

        def note(done: int, total: int) -> None:
            seen.update(done=done, total=total)

        yield note
        seconds = time.perf_counter() - start
        if seen["total"] and seconds >= 0.5:
            click.echo(f"{description}: {seen['total']:,} items {seconds:.1f} s", err=True)
        return
    with Progress(
        TextColumn(f"{description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=max(total, 1))


# -- init ---------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(file_okay=False))
@click.option("--classes", required=True, help="Ordered class names, comma-separated: spam,ham")
@click.option(
    "--task",
    type=click.Choice(["classification", "multilabel"]),
    default="classification",
    show_default=True,
)
@click.option(
    "--data-type",
    type=click.Choice(["text", "image", "tabular"]),
    default="text",
    show_default=True,
)
@click.option("--fields", default="", help="Tabular: the columns to featurize and show.")
@click.option(
    "--target-accuracy",
    type=float,
    default=None,
    help="Accuracy the auto-accepted labels must reach.  [default: 0.95]",
)
@click.option(
    "--confidence",
    type=float,
    default=None,
    help="Confidence of that guarantee.  [default: 0.95]",
)
@DB_OPTION
def init(
    project: str,
    classes: str,
    task: str,
    data_type: str,
    fields: str,
    target_accuracy: float | None,
    confidence: float | None,
    db_url: str | None,
) -> None:
    """Create a project folder with its schema and database."""
    from labelmill.project import Project

    created = Project.init(
        project,
        classes=classes,
        task=task,
        data_type=data_type,
        fields=[f.strip() for f in fields.split(",") if f.strip()],
        db_url=db_url,
        settings={
            k: v
            for k, v in (("target_accuracy", target_accuracy), ("confidence", confidence))
            if v is not None
        },
    )
    click.echo(
        f"Created project {created.name} at {created.path} "
        f"({task}, {data_type}, classes: {', '.join(created.schema.classes)})."
    )
    created.close()


# -- import -------------------------------------------------------------------------------
@cli.command("import")
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.argument("file", type=click.Path())
@click.option("--text-column", default=None, help="Column with the text (default: text).")
@click.option("--image-column", default=None, help="Column with the image path (default: image).")
@click.option("--id-column", default=None, help="Column with a stable item id.")
@click.option("--gold-column", default=None, help="Column with known-correct labels.")
@click.option(
    "--meta-column",
    "meta_columns",
    multiple=True,
    help="Column kept as metadata (repeatable). Text/image projects: default every other "
    "column. Tabular projects: kept out of the features.",
)
@click.option(
    "--hidden-column",
    "hidden_columns",
    multiple=True,
    help="A --meta-column that is also hidden (repeatable): from rules, features and the "
    "item browser, for the true labels of a simulation (simulate --oracle-column). Like "
    "--meta-column, it keeps in text and image projects only the metadata columns named.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "tsv", "jsonl", "parquet", "images", "label-studio"]),
    default=None,
    help="Input format (default: from the suffix; .json holding an array: label-studio).",
)
@click.option("--encoding", default=None, help="Text encoding (default: detected).")
@click.option(
    "--header/--no-header",
    default=None,
    help="CSV/TSV: the first line names the columns, or is data (default: a header, unless "
    "the first line looks like data: then the import stops and asks).",
)
@click.option(
    "--columns",
    "column_names",
    default=None,
    metavar="A,B,...",
    help="CSV/TSV: the column names (with --no-header), or new names for the header's.",
)
@click.option(
    "--sep",
    default=None,
    metavar="S",
    help="CSV/TSV separator: one character, or 'tab' (default: ',' for .csv, tab for .tsv; "
    "another one is detected when the first line has none).",
)
@click.option(
    "--skip-initial-space/--keep-initial-space",
    default=None,
    help="CSV/TSV: drop the spaces after separators ('a, b') (default: detected, and said).",
)
@click.option(
    "--no-quoting",
    is_flag=True,
    help="CSV/TSV: fields are never quoted; quote characters are text (many TSV files).",
)
@click.option(
    "--folder-labels",
    type=click.Choice(["gold", "meta", "none"]),
    default="gold",
    show_default=True,
    help="Image folders root/<class>/*.png: the class folder is a gold label, a hidden "
    "metadata column 'folder' (for simulate --oracle-column folder), or ignored.",
)
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail", show_default=True)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where --on-error skip writes rejected rows (default: FILE.rejects.jsonl).",
)
@DB_OPTION
def import_(
    project: str,
    file: str,
    text_column: str | None,
    image_column: str | None,
    id_column: str | None,
    gold_column: str | None,
    meta_columns: tuple[str, ...],
    hidden_columns: tuple[str, ...],
    fmt: str | None,
    encoding: str | None,
    header: bool | None,
    column_names: str | None,
    sep: str | None,
    skip_initial_space: bool | None,
    no_quoting: bool,
    folder_labels: str,
    on_error: str,
    rejects_path: str | None,
    db_url: str | None,
) -> None:
    """Import items from a CSV/TSV, JSONL, Parquet or Label Studio JSON FILE, or an image
    folder.

    \b
    Which column is what:
      text/image projects  the --text-column / --image-column is the item; every other
                           column but the id and gold columns is metadata (or only the
                           --meta-column ones).
      tabular projects     the features are the schema's fields (init --fields) or every
                           column but the id, gold, --meta-column and hidden columns;
                           other columns are kept as metadata. The import prints them and
                           warns about a column that gives the label away.
    Files without a header: --no-header --columns A,B,... (e.g. the raw UCI adult.data).
    Label Studio JSON: annotations become gold labels, predictions the votes of a model
    source; the task data holds the columns.
    """
    from labelmill.data.delimited import parse_columns

    names = parse_columns(column_names)
    hidden = list(dict.fromkeys(hidden_columns))
    with (
        open_project(project, db_url) as opened,
        progress_bar("importing rows") as (advance, total),
    ):
        # A hidden column is a metadata column (never a tabular feature) that must exist.
        meta = list(meta_columns) + [c for c in hidden if c not in meta_columns]
        report = opened.import_items(
            file,
            text_column=text_column,
            image_column=image_column,
            id_column=id_column,
            gold_column=gold_column,
            meta_columns=meta or None,
            format=fmt,
            encoding=encoding,
            on_error=on_error,  # type: ignore[arg-type]
            rejects_path=rejects_path,
            actor="cli",
            progress=advance,
            total_callback=total,
            header=header,
            columns=names,
            sep=sep,
            skip_initial_space=skip_initial_space,
            quoting=not no_quoting,
            folder_labels=folder_labels,
        )
        if hidden:
            _hide_columns(opened, hidden, report)
    for note in report.notes:
        click.echo(note if note.startswith("Warning:") else f"Note: {note}", err=True)
    summary = report.summary()
    click.echo(summary[:1].upper() + summary[1:] + ".")
    if report.duplicate_examples:
        shown = ", ".join(f"{a} = {b}" for a, b in report.duplicate_examples[:5])
        click.echo(f"Duplicate contents (new = existing), first ones: {shown}")


def _hide_columns(project: Any, hidden: list[str], report: Any) -> None:
    """Add ``hidden`` (imported as metadata columns) to the project's ``hidden_columns``."""
    have = tuple(project.settings.hidden_columns)
    project.save_settings(hidden_columns=(*have, *[c for c in hidden if c not in have]))
    report.notes.append(
        f"hidden from rules, features and the item browser: {', '.join(hidden)} "
        "(simulate --oracle-column reads it)"
    )


# -- status -------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@DB_OPTION
def status(project: str, as_json: bool, db_url: str | None) -> None:
    """Show items by status and class, sources, votes, the last round and its guarantee.

    \b
    Statuses:
      unlabeled  no round has labeled it and nobody answered it
      auto       the model's label, above the threshold the blind audit certifies
                 (accepted: the guarantee covers these labels)
      review     the model's label, below that threshold: waiting for a person
      human      a person's answer in the review queue (trains the model)
      gold       known to be right: imported gold labels (--gold-column, image class
                 folders, Label Studio annotations) and blind audit answers. Gold
                 measures accuracy and sets the threshold; audit answers never train.
    """
    with open_project(project, db_url) as opened:
        info = opened.status()
        people = opened.people() if not as_json else None
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    schema = info["schema"]
    classes = [str(c) for c in schema["classes"]]
    click.echo(
        f"Project {info['project']} ({schema['task']}, {schema['data_type']}; "
        f"classes: {', '.join(classes)})"
    )
    click.echo(f"  database: {info['database']}")
    click.echo(f"  items: {info['items']}")
    width = max(8, *(len(c) for c in classes))
    click.echo(
        "    " + f"{'status':<10} {'total':>8}  " + "  ".join(f"{c:>{width}}" for c in classes)
    )
    for name, count in info["by_status"].items():
        per_class = info.get("by_class", {}).get(name, {})
        cells = "  ".join(
            f"{per_class.get(c, 0) if name != 'unlabeled' else '':>{width}}" for c in classes
        )
        click.echo(f"    {name:<10} {count:>8}  {cells}".rstrip())
    sources = ", ".join(f"{k}: {v}" for k, v in sorted(info["sources"].items())) or "none"
    click.echo(f"  sources: {sources}; votes: {info['votes']}; users: {info['users']}")
    _echo_people(people)
    last = info["last_round"]
    if last is None:
        click.echo("  rounds: none yet (labelmill run PROJECT)")
        return
    click.echo(
        f"  last round: #{last['id']} {last['status']}"
        + (f" ({last['error']})" if last.get("error") else "")
    )
    guarantee = info.get("guarantee")
    if guarantee and guarantee["round"] != last["id"]:
        click.echo(f"  guarantee (round #{guarantee['round']}, the last that finished):")
        click.echo(f"    {guarantee['statement']}")
    for line in (last.get("results") or {}).get("summary", []):
        click.echo(f"    {line}")


def _echo_people(people: dict[str, Any] | None) -> None:
    """People's answers, accuracy against gold (exact 95% interval) and agreement."""
    if not people or not people["users"]:
        return
    click.echo("  people (accuracy against gold: imported gold and others' blind audit answers):")
    for u in people["users"]:
        acc = "no gold checked"
        if u["gold_accuracy"] is not None:
            acc = (
                f"{u['gold_accuracy']:.1%} [{u['gold_lower']:.1%}, {u['gold_upper']:.1%}] "
                f"on {u['gold_checked']}"
            )
        flag = "  answers look independent of the truth" if u["spammer"] else ""
        click.echo(f"    {u['user']:<16} {u['answers']:>6} answers  {acc}{flag}")
    kappa = people.get("fleiss_kappa")
    if kappa is not None:
        click.echo(f"    agreement on items answered by several: Fleiss' kappa {kappa:.3f}")


# -- items --------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status]),
    help="Only items with this status (repeatable; default: all). review lists the review "
    "queue in the order people are served it.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
@DB_OPTION
def items(
    project: str, statuses: tuple[str, ...], limit: int, as_json: bool, db_url: str | None
) -> None:
    """List items with their status, label, confidence and votes."""
    with open_project(project, db_url) as opened:
        listed = opened.list_items(statuses=list(statuses) or None, limit=limit)
    if as_json:
        click.echo(json.dumps(listed, indent=2, default=str, ensure_ascii=False))
        return
    if not listed:
        click.echo("No items" + (f" with status {', '.join(statuses)}." if statuses else "."))
        return
    for row in listed:
        conf = "" if row["confidence"] is None else f"{row['confidence']:.3f}"
        votes = ", ".join(f"{v['source']}={v['label']}" for v in row["votes"]) or "no votes"
        label = "-" if row["label"] is None else row["label"]
        click.echo(f"{row['id']}  {row['status']:<9} {label!s:<12} {conf:>5}  [{votes}]")
        click.echo(f"    {row['preview']}")


# -- export -------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet", "label-studio", "hf"]),
    default=None,
    help="Output format (default: from the suffix of --out: .jsonl, .csv, .parquet, "
    ".json = label-studio; hf writes a Hugging Face data set folder).",
)
@click.option("--out", "out", required=True, type=click.Path())
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status]),
    help="Only items with this status (repeatable; default: all).",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@DB_OPTION
def export(
    project: str,
    fmt: str | None,
    out: str,
    statuses: tuple[str, ...],
    overwrite: bool,
    db_url: str | None,
) -> None:
    """Write the labeled data set with status, confidence, posterior and provenance.

    \b
    Every row: id, label, status, confidence, posterior (for items people answered:
    their answer, one-hot), sources (what the label came from), votes (every current
    vote: source and class), model and featurizer (of the round that decided a machine
    label), round, then the text/image/columns and the metadata. The folder of --out must
    exist; an existing --out is replaced only with --overwrite.
    """
    from labelmill.data.writers import check_output_path
    from labelmill.export import export_format

    chosen = export_format(out, fmt)
    check_output_path(out, overwrite=overwrite, folder=chosen == "hf")
    with open_project(project, db_url) as opened:
        rows = opened.export(
            out, format=chosen, statuses=list(statuses) or None, overwrite=overwrite
        )
    click.echo(f"Wrote {rows} rows to {out} ({chosen}).")


# -- rules --------------------------------------------------------------------------------
_RULE_ACTIONS = ("list", "disable", "enable", "remove", "analyze")


@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.argument("target", metavar="FILE|list|disable NAME|enable NAME|remove NAME|analyze")
@click.argument("name", required=False)
@click.option(
    "--replace",
    is_flag=True,
    help="With FILE: disable every active rule the file does not have (default: only those "
    "registered from this same file before).",
)
@click.option("--all", "show_all", is_flag=True, help="With list: show removed rules too.")
@click.option("--json", "as_json", is_flag=True, help="With list or analyze: print JSON.")
@DB_OPTION
def rules(
    project: str,
    target: str,
    name: str | None,
    replace: bool,
    show_all: bool,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Register rules from FILE (.yaml or .py), or list, disable, enable, remove or analyze them.

    \b
    labelmill rules PROJECT rules.yaml    register (or update) and apply the file's rules;
                                          rules registered before from this file that it no
                                          longer has are disabled; rules of other files stay
                                          active (listed; --replace disables them)
    labelmill rules PROJECT list          every rule: state, kind, version, votes, coverage
    labelmill rules PROJECT disable NAME  stop a rule voting (its votes stay as history)
    labelmill rules PROJECT enable NAME   let it vote again
    labelmill rules PROJECT remove NAME   disable it and leave it out of the list
    labelmill rules PROJECT analyze       coverage, overlaps, conflicts, and accuracy on the
                                          items people answered, with an exact interval

    \b
    YAML format (docs/rules.md has the details):
      rules:
        - name: mentions_prize          # unique; editing a rule makes a new version
          kind: keywords                # any keyword, whole words, any case
          keywords: [prize, winner, "free entry"]
          label: spam                   # the class it votes (name or 0-based index)
          column: text                  # optional (default text); also case_sensitive,
                                        # word_boundary (default true)
        - name: has_link
          kind: regex                   # Python re syntax; optional column, case_sensitive
          pattern: "https?://|www\\."
          label: spam
        - name: young
          kind: threshold               # numeric column compared with value
          column: age
          op: "<"                       # one of > >= < <= == !=
          value: 25
          label: "<=50K"
        - name: known_senders
          kind: lookup                  # value of column in a list
          column: sender
          values: [alice@example.com, bob@example.com]
          label: ham                    # optional case_sensitive (default true)
        - name: old_model
          kind: model                   # another model's prediction in column, voted when
          column: pred                  # score_column >= min_score; optional
          score_column: pred_score      # classes_voted: [...]
          min_score: 0.9
    A rule abstains where it does not fire; missing or non-numeric cells abstain.
    A .py file: every @labeling_function() (Snorkel-compatible) it defines.
    """
    action = target.lower()
    if action not in _RULE_ACTIONS:
        if name is not None:
            raise click.UsageError(
                f"Got {target!r} and {name!r}: give a rule FILE alone, or one of "
                f"{', '.join(_RULE_ACTIONS)} (disable, enable and remove take a rule NAME)."
            )
        _register_rules(project, target, replace, db_url)
        return
    needs_name = action in ("disable", "enable", "remove")
    if needs_name and not name:
        raise click.UsageError(f"labelmill rules PROJECT {action} NAME: name the rule.")
    if not needs_name and name:
        raise click.UsageError(f"labelmill rules PROJECT {action} takes no rule name.")
    with open_project(project, db_url) as opened:
        if action == "list":
            _print_rules(opened.rules_list(include_removed=show_all), as_json)
        elif action == "analyze":
            _print_analysis(opened.rules_analysis(), opened.settings.confidence, as_json)
        elif action == "disable":
            version = opened.disable_rule(str(name), actor="cli")
            click.echo(f"Disabled rule {name} (version {version}); its votes stay as history.")
        elif action == "enable":
            version = opened.enable_rule(str(name), actor="cli")
            click.echo(f"Enabled rule {name} (version {version}).")
        else:
            kept = opened.remove_rule(str(name), actor="cli")
            click.echo(f"Removed rule {name}; its {kept} votes stay in the store as history.")


def _register_rules(project: str, file: str, replace: bool, db_url: str | None) -> None:
    with open_project(project, db_url) as opened:
        count = opened.status()["items"]
        if count >= 10_000:  # a few seconds of work or more: say so first
            click.echo(f"Applying the rules of {file} to {count:,} items...", err=True)
        outcome = opened.register_rules(file, replace=replace, actor="cli")
    for rule, what in outcome.items():
        note = " (no longer in this file)" if what == "disabled" and not replace else ""
        click.echo(f"  {what:<9} {rule}{note}")
    added = sum(1 for what in outcome.values() if what != "disabled")
    click.echo(f"{added} rule(s) registered from {file}.")
    if outcome.still_active:
        click.echo(
            f"Still active from other files: {', '.join(outcome.still_active)} (disable one "
            "with: labelmill rules PROJECT disable NAME; or register with --replace)."
        )


def _print_rules(listed: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(listed, indent=2, default=str))
        return
    if not listed:
        click.echo("No rules (register a file with: labelmill rules PROJECT FILE).")
        return
    click.echo(
        f"{'rule':<28} {'state':<9} {'kind':<10} {'version':<13} {'votes':>7} {'coverage':>9}"
    )
    for row in listed:
        click.echo(
            f"{row['name']:<28} {row['state']:<9} {row['kind']:<10} {row['version']:<13} "
            f"{row['votes']:>7} {row['coverage']:>9.1%}"
        )


def _print_analysis(result: dict[str, Any], confidence: float, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    if not result["rules"]:
        click.echo(
            "No active rules to analyze (register a file with: labelmill rules PROJECT FILE)."
        )
        return
    click.echo(
        f"{result['items']} items; {result['answered']} answered by people "
        f"({result['gold']} gold: audit or imported; the others review answers, which active "
        "learning chose, so accuracies on them may read low)."
    )
    click.echo(
        f"{'rule':<28} {'polarity':<14} {'coverage':>8} {'overlaps':>8} {'conflicts':>9} "
        f"{'correct':>7} {'incorrect':>9}  accuracy [{confidence:.0%} interval]"
    )
    for row in result["rules"]:
        acc = (
            "-"
            if row["accuracy"] is None
            else f"{row['accuracy']:.3f} [{row['lower']:.3f}, {row['upper']:.3f}]"
        )
        click.echo(
            f"{row['name']:<28} {','.join(row['polarity']):<14} {row['coverage']:>8.1%} "
            f"{row['overlaps']:>8.1%} {row['conflicts']:>9.1%} {row['correct']:>7} "
            f"{row['incorrect']:>9}  {acc}"
        )


# -- run ----------------------------------------------------------------------------------
def _parse_techniques(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str] | None:
    """``--technique name=value`` (repeatable) as a mapping; names and values are checked
    here so the message says which option was wrong."""
    from labelmill.settings import TECHNIQUE_CHOICES, TECHNIQUES

    if not values:
        return None
    out: dict[str, str] = {}
    for value in values:
        name, sep, choice = value.partition("=")
        name, choice = name.strip(), choice.strip()
        if not sep or name not in TECHNIQUES or choice not in TECHNIQUE_CHOICES:
            raise click.BadParameter(
                f"expected NAME=VALUE with NAME one of {', '.join(TECHNIQUES)} and VALUE one "
                f"of {', '.join(TECHNIQUE_CHOICES)}. Got {value!r} instead.",
                ctx=ctx,
                param=param,
            )
        out[name] = choice
    return out


TECHNIQUE_OPTION = click.option(
    "--technique",
    "techniques",
    multiple=True,
    callback=_parse_techniques,
    metavar="NAME=off|on|auto",
    help="A learning technique of the round, repeatable: self_training, label_spreading, "
    "ensemble, audit_model, augment; auto turns it on when people's held-out answers show it "
    "helps (default: the project's settings.techniques).",
)


@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--target-accuracy",
    type=float,
    default=None,
    help="Accuracy the auto-accepted labels must reach (default: the project's).",
)
@click.option(
    "--confidence",
    type=float,
    default=None,
    help="Confidence of that guarantee (default: the project's).",
)
@click.option(
    "--strategy",
    type=click.Choice([s.value for s in Strategy]),
    default=None,
    help="Active-learning strategy ordering the review queue (default: the project's).",
)
@engine_options
@TECHNIQUE_OPTION
@DB_OPTION
def run(
    project: str,
    target_accuracy: float | None,
    confidence: float | None,
    strategy: str | None,
    engine: str,
    scheduler: str | None,
    techniques: dict[str, str] | None,
    db_url: str | None,
) -> None:
    """Run a labeling round: rules, aggregate, featurize, train, calibrate, route.

    --target-accuracy, --confidence, --strategy and --technique change the project's
    settings (saved in labelmill.yaml): the review queue sizes the blind audit for the same
    target.
    """
    with open_project(project, db_url) as opened, round_engine(engine, scheduler) as runner:
        changed = opened.save_settings(
            target_accuracy=target_accuracy,
            confidence=confidence,
            strategy=strategy,
            techniques=techniques,
        )
        for name, (old, new) in changed.items():
            click.echo(f"Setting {name}: {old} -> {new} (saved in labelmill.yaml).")
        with stage_progress() as progress:
            result = opened.run_round(progress=progress, actor="cli", engine=runner)
    click.echo(f"Round {result.round_id} done.")
    for line in result.summary():
        click.echo(f"  {line}")


class StageLines:
    """A round's progress as plain lines, one per stage when it ends: items and seconds
    (for logs and pipes, where a progress bar would be noise); a stage that runs long also
    says how far it got every ``every`` seconds."""

    def __init__(self, echo: Callable[[str], None], every: float = 15.0) -> None:
        self.echo = echo
        self.every = every
        self._stage: str | None = None
        self._start = 0.0
        self._said = 0.0
        self._done = 0
        self._total = 0

    def __call__(self, stage: str, fraction: float) -> None:
        import time

        self._flush()
        if stage != "done":
            now = time.perf_counter()
            self._stage, self._start, self._said, self._done, self._total = stage, now, now, 0, 0

    def items(self, stage: str, done: int, total: int) -> None:
        import time

        if stage != self._stage:
            return
        self._done, self._total = done, total
        now = time.perf_counter()
        if done < total and now - self._said >= self.every:
            self._said = now
            self.echo(
                f"round: {stage:<10} {done:>9,} of {total:,} items {now - self._start:8.1f} s "
                "so far"
            )

    def _flush(self) -> None:
        import time

        if self._stage is None:
            return
        seconds = time.perf_counter() - self._start
        rate = f", {self._done / seconds:,.0f} items/s" if seconds >= 0.5 and self._done else ""
        self.echo(f"round: {self._stage:<10} {self._done:>9,} items {seconds:8.1f} s{rate}")
        self._stage = None


class StageBars:
    """A round's progress in a terminal: one rich bar per stage with items done, the total
    and the rate."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self._tasks: dict[str, Any] = {}
        self._current: str | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        if self._current is not None:
            task = self._tasks[self._current]
            total = self.bar.tasks[task].total or 1
            self.bar.update(task, completed=total, total=total)
        self._current = None if stage == "done" else stage
        if self._current is not None and stage not in self._tasks:
            self._tasks[stage] = self.bar.add_task(stage, total=None)

    def items(self, stage: str, done: int, total: int) -> None:
        task = self._tasks.get(stage)
        if task is not None:
            self.bar.update(task, completed=done, total=max(total, 1))


@contextmanager
def stage_progress(echo: Callable[[str], None] | None = None) -> Iterator[Any]:
    """Progress of a round's stages on stderr: bars in a terminal, else one line per stage."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if not speed else f"{speed:,.0f} items/s")

    console = Console(stderr=True)
    if not console.is_terminal:
        yield StageLines(echo or (lambda line: click.echo(line, err=True)))
        return
    with Progress(
        TextColumn("round: {task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        yield StageBars(bar)


# -- simulate -----------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--oracle-column",
    required=True,
    help="Metadata column with the true labels; hidden from everything else.",
)
@click.option("--budget", type=int, required=True, help="Simulated human labels to spend.")
@click.option(
    "--batch-size", type=int, default=None, help="Labels per round (default: the project's)."
)
@click.option(
    "--strategy",
    type=click.Choice([s.value for s in Strategy]),
    default=None,
    help="Active-learning strategy (default: the project's; auto is the bandit).",
)
@click.option(
    "--audit-fraction",
    type=float,
    default=None,
    help="Share of answers spent on the blind random audit sample (default: the project's).",
)
@click.option("--seed", type=int, default=None)
@click.option("--target-accuracy", type=float, default=None)
@click.option("--confidence", type=float, default=None)
@click.option(
    "--out",
    type=click.Path(),
    default=None,
    help="Write the learning curve (one row per round) to this CSV (checked before the "
    "first round; its folder must exist).",
)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@engine_options
@TECHNIQUE_OPTION
@DB_OPTION
def simulate(
    project: str,
    oracle_column: str,
    budget: int,
    batch_size: int | None,
    strategy: str | None,
    audit_fraction: float | None,
    seed: int | None,
    target_accuracy: float | None,
    confidence: float | None,
    out: str | None,
    overwrite: bool,
    engine: str,
    scheduler: str | None,
    techniques: dict[str, str] | None,
    db_url: str | None,
) -> None:
    """Run rounds with a simulated reviewer answering from --oracle-column.

    The simulated answers are stored as answers of the user 'oracle', and the rounds as
    rounds of the project (its settings are left as they are): simulate on a copy of a
    project that people will label.
    """
    if out is not None:
        from labelmill.data.writers import check_output_path

        check_output_path(out, overwrite=overwrite)
    with ExitStack() as stack:
        opened = stack.enter_context(open_project(project, db_url))
        opened.check_oracle(oracle_column)
        runner = stack.enter_context(round_engine(engine, scheduler))
        if runner.name == "local":  # the dask engine featurizes in the first round
            with item_progress("featurizing items") as progress:
                opened.featurize(progress=progress)
        curve = opened.simulate(
            engine=runner,
            oracle_column=oracle_column,
            budget=budget,
            batch_size=batch_size,
            strategy=strategy,
            audit_fraction=audit_fraction,
            seed=seed,
            out=out,
            target_accuracy=target_accuracy,
            confidence=confidence,
            techniques=techniques,
            echo=CurvePrinter(),
        )
        spent = _answers_spent(curve)
        if spent < budget and not opened.next_items(1, queue="review"):
            click.echo(
                f"Stopped after {spent:,} of {budget:,} answers: nothing is left to review "
                "(every item is auto-accepted, labeled or audited)."
            )
    click.echo(f"{len(curve)} rounds" + (f"; learning curve written to {out}." if out else "."))


def _answers_spent(curve: list[Any]) -> int:
    """Answers the simulated reviewer gave: labels at the last round minus the first's."""
    if not curve:
        return 0
    first, last = curve[0], curve[-1]
    return (last.human_labels + last.audit_labels) - (first.human_labels + first.audit_labels)


class CurvePrinter:
    """Prints a simulation's learning curve, one line per round, under a header."""

    def __init__(self, echo: Callable[[str], None] = click.echo) -> None:
        self.echo = echo
        self._header_done = False

    def __call__(self, row: Any) -> None:
        def pct(value: float | None) -> str:
            return "   -  " if value is None else f"{value:6.1%}"

        if not self._header_done:
            self.echo(
                "round  human  audit  threshold  auto   est.acc(auto)  true acc(auto)  "
                "true acc(all)  strategy"
            )
            self._header_done = True
        threshold = "   -  " if row.threshold is None else f"{row.threshold:6.3f}"
        self.echo(
            f"{row.round:5d}  {row.human_labels:5d}  {row.audit_labels:5d}  {threshold:>9}  "
            f"{pct(row.auto_share)}  {pct(row.auto_accuracy_estimated):>13}  "
            f"{pct(row.auto_accuracy_true):>14}  {pct(row.accuracy_all_true):>13}  "
            f"{row.strategy or '-'}"
        )


# -- answer, remove ------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.argument("item_id")
@click.argument("label", required=False)
@click.option(
    "--user",
    default=None,
    help="Whose answer it is (default: your login name). A new name is created as a "
    "reviewer without a password (it cannot log in to the web app).",
)
@click.option("--undo", is_flag=True, help="Withdraw this user's latest answer on the item.")
@DB_OPTION
def answer(
    project: str, item_id: str, label: str | None, user: str | None, undo: bool, db_url: str | None
) -> None:
    """Answer an item: LABEL becomes its label (status human), as in the review queue.

    For several classes (multilabel) separate them with '|': a|b. Blind audit answers
    (gold) come only from the audit queue of the web app, where the suggestion is hidden.
    """
    import getpass

    name = user or getpass.getuser()
    if undo == (label is not None):
        raise click.UsageError("Give a LABEL to answer, or --undo (not both).")
    with open_project(project, db_url) as opened:
        if undo:
            opened.undo_answer(item_id, user=name)
            click.echo(f"Withdrew {name}'s latest answer on {item_id}.")
            return
        value: Any = label
        if opened.schema.multilabel:
            value = [part for part in str(label).split("|") if part]
        queue = opened.add_answer(item_id, value, user=name, queue="review")
    click.echo(f"Recorded {name}'s answer {label!r} on {item_id} ({queue} queue).")


@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.argument("item_ids", nargs=-1)
@click.option(
    "--missing-images",
    is_flag=True,
    help="Remove the image items whose file is gone (they make every round fail).",
)
@DB_OPTION
def remove(
    project: str, item_ids: tuple[str, ...], missing_images: bool, db_url: str | None
) -> None:
    """Remove items (by id) with their label, votes and answers, all or none.

    \b
    The audit log records the removal. An item's blind audit answer goes with it: the audit
    sample shrinks and the review queue asks for replacement audits. The sample stays random
    if you remove items for reasons unrelated to whether the model was right on them (a
    deleted image, a duplicate, an item out of scope); removing audited items because the
    model got them wrong would make the accuracy estimate too high.
    """
    with open_project(project, db_url) as opened:
        ids = list(item_ids)
        if missing_images:
            missing = opened.missing_media()
            if not missing and not ids:
                click.echo("Every image item's file is there; nothing to remove.")
                return
            ids += missing
        report = opened.remove_items(ids, actor="cli")
    click.echo(report.summary()[:1].upper() + report.summary()[1:] + ".")


# -- demo ---------------------------------------------------------------------------------
@cli.command()
@click.option(
    "--folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to create the demo project (default: a new temporary folder).",
)
def demo(folder: str | None) -> None:
    """Run the labeling loop on a bundled sample of the YouTube Spam Collection."""
    from labelmill.demo import run_demo

    run_demo(folder, echo=click.echo, curve=CurvePrinter())


def _register_server_commands() -> None:
    from labelmill.cli.quality_commands import check, report
    from labelmill.cli.server_commands import serve, users

    cli.add_command(serve)
    cli.add_command(users)
    cli.add_command(check)
    cli.add_command(report)


_register_server_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
