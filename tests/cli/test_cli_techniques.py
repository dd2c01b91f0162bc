"""labelmill run / simulate --technique NAME=VALUE."""

from __future__ import annotations

import pytest
import yaml

from labelmill import Project
from tests.cli.test_cli import invoke, runner, small  # noqa: F401 - fixtures
from tests.pipeline.conftest import make_project  # noqa: F401 - fixture


def test_run_saves_the_techniques_and_records_the_choice(runner, small):  # noqa: F811
    result = invoke(
        runner, "run", small, "--technique", "ensemble=on", "--technique", "self_training=auto"
    )
    assert result.exit_code == 0, result.output
    assert "Setting techniques:" in result.output
    saved = yaml.safe_load((small / "labelmill.yaml").read_text())["settings"]["techniques"]
    assert (saved["ensemble"], saved["self_training"]) == ("on", "auto")
    assert "techniques: ensemble (set to on); self_training (off:" in result.output
    again = invoke(runner, "run", small)
    assert "Setting techniques" not in again.output  # kept from the last run


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ensemble", "expected NAME=VALUE"),
        ("boosting=on", "NAME one of self_training, label_spreading, ensemble"),
        ("ensemble=maybe", "VALUE one of off, on, auto. Got 'ensemble=maybe' instead."),
    ],
)
def test_bad_technique_options_exit_with_a_reason(runner, small, value, message):  # noqa: F811
    for command in ("run", "simulate"):
        extra = ["--oracle-column", "truth", "--budget", "1"] if command == "simulate" else []
        result = invoke(runner, command, small, *extra, "--technique", value)
        assert result.exit_code == 2
        assert message in result.output


def test_simulate_passes_techniques_without_saving_them(runner, tmp_path, make_project):  # noqa: F811
    project, _ = make_project(tmp_path, n=60)
    folder = project.path
    project.close()
    result = invoke(
        runner,
        "simulate",
        folder,
        "--oracle-column",
        "truth",
        "--budget",
        "40",
        "--batch-size",
        "20",
        "--technique",
        "label_spreading=on",
        "--technique",
        "audit_model=off",
    )
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((folder / "labelmill.yaml").read_text())["settings"]
    assert saved["techniques"]["label_spreading"] == "off"
    import sqlalchemy as sa

    from labelmill.store import Round

    with Project.open(folder) as opened, opened.store.session() as session:
        last = session.scalars(sa.select(Round).order_by(Round.id.desc())).first()
        techniques = last.results["techniques"]
    assert techniques["label_spreading"]["used"] and not techniques["audit_model"]["used"]
