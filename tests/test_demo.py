"""`labelmill demo` runs the whole loop on the bundled sample (hashing features, for speed)."""

from labelmill.demo import SAMPLE, run_demo


def test_demo_runs_the_loop_and_exports(tmp_path):
    lines = []
    folder = run_demo(str(tmp_path), budget=100, featurizer={"kind": "hashing"}, echo=lines.append)
    text = "\n".join(lines)
    assert "Registered 6 keyword/regex rules" in text
    assert "true accuracy over all 1953 items" in text
    assert (folder / "labels.jsonl").is_file()
    assert len((folder / "labels.jsonl").read_text().splitlines()) == 1953


def test_sample_ships_with_attribution():
    assert SAMPLE.is_file()
    assert "CC BY 4.0" in (SAMPLE.parent / "ATTRIBUTION.md").read_text()
