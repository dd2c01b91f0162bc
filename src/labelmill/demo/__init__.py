"""``labelmill demo``: the whole labeling loop on a bundled sample of the YouTube Spam Collection.

The sample (CC BY 4.0, see ATTRIBUTION.md beside this file) ships with the package. The
demo creates a project, imports the comments (their true class is kept as a hidden
metadata column: the simulated reviewer's answers), registers a few keyword rules, runs
rounds in which a simulated reviewer labels the items the model asks about plus a blind
random audit sample, and prints the learning curve, the accuracy guarantee and where the
project and its export are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["RULES", "SAMPLE", "run_demo"]

SAMPLE = Path(__file__).parent / "youtube_spam.csv"
RULES = Path(__file__).parent / "rules.yaml"


def run_demo(
    folder: str | None = None,
    *,
    budget: int = 500,
    featurizer: dict[str, Any] | None = None,
    echo: Callable[[str], None] = print,
    curve: Callable[[Any], None] | None = None,
) -> Path:
    """Run the demo; returns the project folder.

    Parameters
    ----------
    folder : str, optional
        Where to create the project (default: a new temporary folder).
    budget : int
        Simulated human answers to spend (blind audit answers included).
    featurizer : dict, optional
        Featurizer options (default: the packaged MiniLM sentence embeddings).
    echo : callable
        Prints a line of the demo's story.
    curve : callable, optional
        Called with each round's learning-curve row (:class:`labelmill.pipeline.CurveRow`).
    """
    from labelmill.project import Project

    target = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="labelmill-demo-"))
    settings = {"featurizer": featurizer} if featurizer else None
    project = Project.init(target / "youtube", classes=["spam", "ham"], settings=settings)
    echo(f"1. Created the project {project.path}")
    report = project.import_items(
        SAMPLE, id_column="comment_id", text_column="text", meta_columns=["video", "class"]
    )
    echo(f"2. Imported the sample: {report.summary()}.")
    echo("   (the 'class' column is the simulated reviewer's answer key, hidden from the rest)")
    registered = project.register_rules(RULES)
    echo(f"3. Registered {len(registered)} keyword/regex rules from {RULES.name}.")
    echo(f"4. Labeling rounds; a simulated reviewer answers {budget} questions, 100 per round:")
    rows = project.simulate(oracle_column="class", budget=budget, batch_size=100, echo=curve)
    last = project.status()["last_round"] or {}
    results = last.get("results") or {}
    echo("5. Where it ended:")
    for line in results.get("summary", []):
        echo(f"   {line}")
    if rows:
        final = rows[-1]
        echo(
            f"   true accuracy over all {sum(project.status()['by_status'].values())} items: "
            f"{final.accuracy_all_true:.1%} after {final.human_labels + final.audit_labels} "
            "human answers"
        )
    out = project.path / "labels.jsonl"
    exported = project.export(out)
    echo(f"6. Exported {exported} labeled rows with status, confidence and provenance to {out}")
    echo(f"   Next: labelmill status {project.path}   |   labelmill serve {project.path}")
    project.close()
    return project.path
