"""The simulation harness, and that its oracle column stays invisible to the pipeline."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from click.testing import CliRunner

from labelmill.cli import cli
from labelmill.exceptions import ConfigError, InputError


def test_simulate_writes_one_row_per_round(tmp_path, make_project):
    project, _ = make_project(tmp_path)
    out = tmp_path / "curve.csv"
    curve = project.simulate(oracle_column="truth", budget=100, batch_size=25, seed=1, out=out)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(curve) >= 3
    assert set(rows[0]) == {
        "round",
        "human_labels",
        "audit_labels",
        "threshold",
        "auto_share",
        "auto_accuracy_estimated",
        "auto_accuracy_lower",
        "auto_accuracy_true",
        "accuracy_all_true",
        "strategy",
        "seconds",
        "change",
    }
    last = curve[-1]
    assert last.human_labels + last.audit_labels == 100
    assert last.accuracy_all_true > 0.9
    assert project.settings.hidden_columns == ()  # the simulation saved nothing


def test_the_oracle_column_is_invisible_to_the_pipeline(tmp_path, make_project):
    """Scramble the oracle on every item nobody answers: the rounds must not change."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, truth = make_project(tmp_path / "a", seed=3)
    curve_a = first.simulate(
        oracle_column="truth", budget=60, batch_size=20, seed=5, strategy="margin"
    )
    answered = set(first.to_frame().query("status in ['human', 'gold']")["id"])
    labels_a = first.to_frame().set_index("id")["label"]

    second, _ = make_project(tmp_path / "b", seed=3)
    import sqlalchemy as sa

    from labelmill.store import Item

    with second.store.session() as s:  # flip the oracle of every item never asked about
        for item in s.scalars(sa.select(Item)):
            if item.item_id not in answered:
                flipped = "ham" if item.meta["truth"] == "spam" else "spam"
                item.meta = {**item.meta, "truth": flipped}
    curve_b = second.simulate(
        oracle_column="truth", budget=60, batch_size=20, seed=5, strategy="margin"
    )
    labels_b = second.to_frame().set_index("id")["label"]
    assert (labels_a == labels_b).all()
    assert [r.threshold for r in curve_a] == [r.threshold for r in curve_b]
    # ...while the measured truth differs, so the scrambling did happen.
    assert curve_a[-1].accuracy_all_true != curve_b[-1].accuracy_all_true


def test_rules_cannot_read_the_oracle_column(tmp_path, make_project):
    project, _ = make_project(tmp_path)
    cheat = tmp_path / "cheat.yaml"
    cheat.write_text("- {name: peek, kind: lookup, column: truth, values: [spam], label: spam}\n")
    project.register_rules(cheat)  # fine outside a simulation: truth is ordinary metadata
    from labelmill.exceptions import RoundError

    # During a simulation the column is hidden, so the rule cannot be applied to new items.
    with project.store.session() as s:
        import sqlalchemy as sa

        from labelmill.store import Source

        source = s.scalars(sa.select(Source).where(Source.name == "peek")).one()
        source.definition = {**source.definition, "applied_through": 0}
    with pytest.raises((InputError, RoundError), match="truth"):
        project.simulate(oracle_column="truth", budget=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"oracle_column": "nope", "budget": 10},
            InputError,
            "no value in the oracle column 'nope'",
        ),
        ({"oracle_column": "truth", "budget": -1}, ConfigError, "'budget' of simulate"),
        (
            {"oracle_column": "truth", "budget": 5, "strategy": "psychic"},
            ConfigError,
            "The setting 'strategy' must be one of auto, random, .* Got 'psychic' instead",
        ),
    ],
)
def test_bad_simulation_arguments(tmp_path, make_project, kwargs, error, message):
    project, _ = make_project(tmp_path)
    with pytest.raises(error, match=message):
        project.simulate(**kwargs)


@pytest.mark.parametrize(
    "strategy",
    [
        "auto",
        "random",
        "least_confidence",
        "margin",
        "entropy",
        "committee",
        "kcenter",
        "cluster",
        "hybrid",
    ],
)
def test_cli_simulate_accepts_every_strategy(tmp_path, make_project, strategy):
    project, _ = make_project(tmp_path, n=60)
    project.close()
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(
        cli,
        [
            "simulate",
            str(tmp_path / "p"),
            "--oracle-column",
            "truth",
            "--budget",
            "20",
            "--batch-size",
            "10",
            "--strategy",
            strategy,
            "--out",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert np.isfinite(float(list(csv.DictReader(out.open()))[-1]["accuracy_all_true"]))


def test_cli_simulate_says_when_nothing_is_left_to_review(tmp_path, make_project):
    project, _ = make_project(tmp_path, n=60)
    project.close()
    args = ["simulate", str(tmp_path / "p"), "--oracle-column", "truth", "--batch-size", "20"]
    result = CliRunner().invoke(cli, [*args, "--budget", "500"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    spent = re.search(r"Stopped after (\d+) of 500 answers: nothing is left", result.output)
    assert spent and int(spent.group(1)) <= 60, result.output
    # a budget spent in full says nothing of the kind
    result = CliRunner().invoke(cli, [*args, "--budget", "0"], catch_exceptions=False)
    assert result.exit_code == 0 and "Stopped after" not in result.output
