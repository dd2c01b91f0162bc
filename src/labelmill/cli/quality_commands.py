"""``labelmill check`` (label issues and consistency checks, sending items to review) and
``labelmill report`` (the data set's datasheet)."""

from __future__ import annotations

import json

import click

from labelmill.cli._common import DB_OPTION, open_project, working

__all__ = ["check", "report"]


@click.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="Flagged items to list."
)
@click.option(
    "--send",
    is_flag=True,
    help="Send the flagged items (not gold ones) to the head of the review queue.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@DB_OPTION
def check(project: str, limit: int, send: bool, as_json: bool, db_url: str | None) -> None:
    """Find labels that are probably wrong and inconsistencies: duplicates with different
    labels, rules that contradict people, answers outside the schema, class imbalance,
    outliers, people who disagree with the blind audit."""
    with open_project(project, db_url) as opened:
        with working("checking the labels"):
            run = opened.check()
        sent = opened.send_to_review(run) if send else None
    if as_json:
        out = {
            **run.summary(),
            "items": run.queue.head(limit).to_dict(orient="records"),
            "sent": sent,
        }
        click.echo(json.dumps(out, indent=2, default=str))
        return
    for result in run.results.values():
        state = f"skipped: {result.skipped}" if result.skipped else f"{result.n_flagged} flagged"
        click.echo(f"  {result.title:<42} {state}")
    click.echo(f"{len(run.queue)} items flagged" + (":" if len(run.queue) else "."))
    for row in run.queue.head(limit).itertuples(index=False):
        status = run.status.get(str(row.item_id), "?")
        click.echo(f"  {row.item_id} [{status}] {row.reasons}")
    if sent is not None:
        click.echo(
            f"Sent {sent['sent']} items to the head of the review queue"
            + (f"; {sent['left_gold']} gold items left as they are." if sent["left_gold"] else ".")
        )
    elif len(run.queue):
        click.echo("Send them to the review queue with: labelmill check PROJECT --send")


@click.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML page to write; its JSON goes beside it (.json).",
)
@click.option("--no-check", is_flag=True, help="Leave out label issues and checks (faster).")
@DB_OPTION
def report(project: str, out: str, no_check: bool, db_url: str | None) -> None:
    """Write the data set's report: how every label was made and how good it is."""
    with (
        open_project(project, db_url) as opened,
        working("writing the report" + ("" if no_check else " (with label checks)")),
    ):
        html, json_path = opened.report(out, check=not no_check)
    click.echo(f"Wrote {html} and {json_path}.")
