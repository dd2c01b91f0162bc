"""Command definitions. Each command parses options, calls the library, prints the result.

Configuration comes from options and the ``LABELMILL_DATABASE_URL`` environment variable,
read here and passed down; the library itself reads no environment.
Every :class:`~labelmill.exceptions.LabelmillError` becomes a one-line ``Error: ...`` and
exit status 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from labelmill import __version__
from labelmill.enums import Status, Strategy
from labelmill.exceptions import LabelmillError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from labelmill.project import Project

DB_OPTION = click.option(
    "--db",
    "db_url",
    envvar="LABELMILL_DATABASE_URL",
    default=None,
    metavar="URL",
    help="SQLAlchemy database URL (default: the project's; env LABELMILL_DATABASE_URL).",
)


class _Group(click.Group):
    """Turns labelmill's errors into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LabelmillError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("Interrupted; the project is as it was before the command.", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labelmill")
def cli() -> None:
    """labelmill: label data sets automatically, and prove how good the labels are."""


def main() -> None:
    cli(prog_name="labelmill")


def open_project(path: str, db_url: str | None) -> Project:
    from labelmill.project import Project

    return Project.open(path, db_url=db_url)


@contextmanager
def progress_bar(description: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A rich progress bar on stderr; yields (advance, set_total) callbacks."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield (
            lambda n: bar.advance(task, n),
            lambda total: bar.update(task, total=total),
        )


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
    help="Column kept as metadata (repeatable; default: all other columns).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "tsv", "jsonl", "parquet", "images"]),
    default=None,
    help="Input format (default: from the suffix).",
)
@click.option("--encoding", default=None, help="Text encoding (default: detected).")
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
    fmt: str | None,
    encoding: str | None,
    on_error: str,
    rejects_path: str | None,
    db_url: str | None,
) -> None:
    """Import items from a CSV/TSV, JSONL or Parquet FILE or an image folder."""
    with open_project(project, db_url) as opened, progress_bar("importing") as (advance, total):
        report = opened.import_items(
            file,
            text_column=text_column,
            image_column=image_column,
            id_column=id_column,
            gold_column=gold_column,
            meta_columns=list(meta_columns) or None,
            format=fmt,
            encoding=encoding,
            on_error=on_error,  # type: ignore[arg-type]
            rejects_path=rejects_path,
            actor="cli",
            progress=advance,
            total_callback=total,
        )
    for note in report.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(report.summary().capitalize() + ".")
    if report.duplicate_examples:
        shown = ", ".join(f"{a} = {b}" for a, b in report.duplicate_examples[:5])
        click.echo(f"Duplicate contents (new = existing), first ones: {shown}")


# -- status -------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@DB_OPTION
def status(project: str, as_json: bool, db_url: str | None) -> None:
    """Show counts by status, sources, votes and the last round."""
    with open_project(project, db_url) as opened:
        info = opened.status()
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    schema = info["schema"]
    click.echo(
        f"Project {info['project']} ({schema['task']}, {schema['data_type']}; "
        f"classes: {', '.join(schema['classes'])})"
    )
    click.echo(f"  database: {info['database']}")
    click.echo(f"  items: {info['items']}")
    for name, count in info["by_status"].items():
        click.echo(f"    {name:<10} {count}")
    sources = ", ".join(f"{k}: {v}" for k, v in sorted(info["sources"].items())) or "none"
    click.echo(f"  sources: {sources}; votes: {info['votes']}; users: {info['users']}")
    last = info["last_round"]
    if last is None:
        click.echo("  rounds: none yet (labelmill run PROJECT)")
    else:
        click.echo(
            f"  last round: #{last['id']} {last['status']}"
            + (f" ({last['error']})" if last.get("error") else "")
        )
        for line in (last.get("results") or {}).get("summary", []):
            click.echo(f"    {line}")


# -- export -------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default=None,
    help="Output format (default: from the suffix of --out).",
)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status]),
    help="Only items with this status (repeatable; default: all).",
)
@DB_OPTION
def export(
    project: str, fmt: str | None, out: str, statuses: tuple[str, ...], db_url: str | None
) -> None:
    """Write the labeled data set with status, confidence, posterior and provenance."""
    with open_project(project, db_url) as opened:
        rows = opened.export(out, format=fmt, statuses=list(statuses) or None)
    click.echo(f"Wrote {rows} rows to {out}.")


# -- rules --------------------------------------------------------------------------------
@cli.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@DB_OPTION
def rules(project: str, file: str, db_url: str | None) -> None:
    """Register or update the labeling functions of FILE (.yaml or .py) and apply them."""
    with open_project(project, db_url) as opened:
        outcome = opened.register_rules(file, actor="cli")
    for name, what in outcome.items():
        click.echo(f"  {what:<9} {name}")
    click.echo(f"{len(outcome)} rules registered from {file}.")


# -- run ----------------------------------------------------------------------------------
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
@DB_OPTION
def run(
    project: str,
    target_accuracy: float | None,
    confidence: float | None,
    strategy: str | None,
    db_url: str | None,
) -> None:
    """Run a labeling round: rules, aggregate, featurize, train, calibrate, route.

    --target-accuracy, --confidence and --strategy change the project's settings (saved in
    labelmill.yaml): the review queue sizes the blind audit for the same target.
    """
    with open_project(project, db_url) as opened:
        changed = opened.save_settings(
            target_accuracy=target_accuracy, confidence=confidence, strategy=strategy
        )
        for name, (old, new) in changed.items():
            click.echo(f"Setting {name}: {old} -> {new} (saved in labelmill.yaml).")
        with stage_bar() as progress:
            result = opened.run_round(progress=progress, actor="cli")
    click.echo(f"Round {result.round_id} done.")
    for line in result.summary():
        click.echo(f"  {line}")


@contextmanager
def stage_bar() -> Iterator[Callable[[str, float], None]]:
    """Progress of a round's stages on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("round: {task.description:<10}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("starting", total=1.0)
        yield lambda stage, fraction: bar.update(task, description=stage, completed=fraction)


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
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the learning curve (one row per round) to this CSV.",
)
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
    db_url: str | None,
) -> None:
    """Run rounds with a simulated reviewer answering from --oracle-column."""
    with open_project(project, db_url) as opened:
        curve = opened.simulate(
            oracle_column=oracle_column,
            budget=budget,
            batch_size=batch_size,
            strategy=strategy,
            audit_fraction=audit_fraction,
            seed=seed,
            out=out,
            target_accuracy=target_accuracy,
            confidence=confidence,
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
