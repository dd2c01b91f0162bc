"""Import: every format, re-import, duplicates, every bad input leaving the project as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from labelmill import Project
from labelmill.exceptions import ConfigError, ImportRowError, InputError

ROWS = [
    {"id": "c1", "text": "win cash now", "label": "spam", "lang": "en"},
    {"id": "c2", "text": "see you at noon", "label": "ham", "lang": "en"},
    {"id": "c3", "text": "cheap pills, click here", "label": "spam", "lang": "en"},
    {"id": "c4", "text": "Ça va? à demain", "label": "ham", "lang": "fr"},
]


def write_csv(path: Path, rows=ROWS, sep=",") -> Path:
    pd.DataFrame(rows).to_csv(path, index=False, sep=sep)
    return path


def snapshot(project: Project) -> list[dict]:
    """Everything an import can change, to compare before and after a failed import."""
    frame = project.to_frame()
    return frame.to_dict("records") if len(frame) else []


def items(project: Project) -> int:
    return project.status()["items"]


# -- formats ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet", "dataframe"])
def test_every_format_imports_the_same_items(project, tmp_path, fmt):
    frame = pd.DataFrame(ROWS)
    if fmt == "csv":
        source = write_csv(tmp_path / "in.csv")
    elif fmt == "tsv":
        source = write_csv(tmp_path / "in.tsv", sep="\t")
    elif fmt == "jsonl":
        source = tmp_path / "in.jsonl"
        frame.to_json(source, orient="records", lines=True, force_ascii=False)
    elif fmt == "parquet":
        source = tmp_path / "in.parquet"
        frame.to_parquet(source)
    else:
        source = frame
    report = project.import_items(source, id_column="id", gold_column="label")
    assert report.items_added == 4
    assert report.gold_labels == 4
    out = project.to_frame()
    assert list(out["id"]) == ["c1", "c2", "c3", "c4"]
    assert list(out["text"]) == [r["text"] for r in ROWS]
    assert list(out["label"]) == [r["label"] for r in ROWS]
    assert set(out["status"]) == {"gold"}
    assert list(out["lang"]) == ["en", "en", "en", "fr"]


def test_reimport_adds_nothing_with_ids_or_without(project, tmp_path):
    source = write_csv(tmp_path / "in.csv")
    assert project.import_items(source, id_column="id").items_added == 4
    again = project.import_items(source, id_column="id")
    assert (again.items_added, again.already_present) == (0, 4)

    other = Project.init(tmp_path / "other", classes=["spam", "ham"])
    dup_rows = ROWS + [ROWS[0]]  # the same text twice in one file, no id column
    src2 = write_csv(tmp_path / "noid.csv", [{"text": r["text"]} for r in dup_rows])
    first = other.import_items(src2)
    assert first.items_added == 5
    assert first.duplicates == 1
    assert other.import_items(src2).items_added == 0
    assert items(other) == 5
    other.close()


def test_duplicate_contents_are_reported(project, tmp_path):
    rows = ROWS + [{"id": "c9", "text": "win cash now", "label": "spam", "lang": "en"}]
    report = project.import_items(write_csv(tmp_path / "d.csv", rows), id_column="id")
    assert report.items_added == 5
    assert report.duplicates == 1
    assert report.duplicate_examples == [("c9", "c1")]


def test_latin1_fallback_is_reported(project, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncaf\xe9 au lait,ham\n".encode("latin-1"))
    report = project.import_items(path, gold_column="label")
    assert report.encoding == "latin-1"
    assert any("not valid UTF-8" in n and "line 2" in n for n in report.notes)
    assert project.to_frame()["text"][0] == "café au lait"


def test_given_encoding_is_used(project, tmp_path):
    path = tmp_path / "cp.csv"
    path.write_bytes("text\n\u20ac price\n".encode("cp1252"))
    project.import_items(path, encoding="cp1252")
    assert project.to_frame()["text"][0] == "€ price"


def test_multiline_quoted_fields_keep_line_numbers(project, tmp_path):
    path = tmp_path / "ml.csv"
    path.write_text('text,label\n"two\nlines",spam\n"ok",bogus\n', encoding="utf-8")
    with pytest.raises(ImportRowError, match=r"ml.csv line 4: gold label: Label 'bogus'"):
        project.import_items(path, gold_column="label")


def test_image_folder_with_class_subfolders_gives_gold(tmp_path):
    root = tmp_path / "imgs"
    for cls in ("cat", "dog"):
        (root / cls).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.full((4, 4), i * 60 + (cls == "dog") * 5, np.uint8)).save(
                root / cls / f"{i}.png"
            )
    project = Project.init(tmp_path / "p", classes=["cat", "dog"], data_type="image")
    report = project.import_items(root)
    assert (report.items_added, report.gold_labels) == (4, 4)
    frame = project.to_frame()
    assert sorted(frame["label"]) == ["cat", "cat", "dog", "dog"]
    assert all(Path(p).is_file() for p in frame["image"])
    project.close()


def test_flat_image_folder_and_csv_with_relative_paths(tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    for i in range(3):
        Image.fromarray(np.full((4, 4), i * 40, np.uint8)).save(root / f"{i}.jpg")
    project = Project.init(tmp_path / "p", classes=["a", "b"], data_type="image")
    assert project.import_items(root).gold_labels == 0
    listing = tmp_path / "list.csv"
    listing.write_text("path,label\nflat/0.jpg,a\nflat/1.jpg,b\n")
    report = project.import_items(listing, image_column="path", gold_column="label")
    # no id column: the same image bytes give the same id, so nothing is added twice
    assert (report.items_added, report.already_present) == (0, 2)
    project.close()


def test_tabular_rows_become_typed_payloads(tmp_path):
    project = Project.init(tmp_path / "t", classes=["<=50K", ">50K"], data_type="tabular")
    path = tmp_path / "t.csv"
    path.write_text("age,job,income\n39,clerk,<=50K\n50,,>50K\n")
    project.import_items(path, gold_column="income")
    frame = project.to_frame()
    assert list(frame["age"]) == [39, 50]
    assert frame["job"][0] == "clerk" and frame["job"][1] is None
    project.close()


def test_multilabel_gold(tmp_path):
    project = Project.init(tmp_path / "m", classes=["a", "b", "c"], task="multilabel")
    path = tmp_path / "m.jsonl"
    path.write_text(
        json.dumps({"text": "x", "tags": ["a", "c"]})
        + "\n"
        + json.dumps({"text": "y", "tags": "b"})
        + "\n"
    )
    project.import_items(path, gold_column="tags")
    assert list(project.to_frame()["label"]) == [["a", "c"], ["b"]]
    project.close()


# -- bad input: fail leaves the project exactly as before --------------------------------------
def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, dict, str]]:
    imgs = tmp_path / "badimgs" / "cat"
    imgs.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(imgs / "ok.png")
    (imgs / "broken.png").write_bytes(b"not a png at all")
    malformed = tmp_path / "malformed.csv"
    malformed.write_text("id,text,label\nz1,fine,spam\nz2,too,many,fields\n")
    missing = write_csv(tmp_path / "missing.csv")
    undecodable = tmp_path / "undecodable.csv"
    undecodable.write_bytes(b"id,text\nz1,fine\nz2,bad \xff byte\n")
    unknown_label = tmp_path / "unknown.csv"
    unknown_label.write_text("id,text,label\nz1,fine,spam\nz2,hmm,eggs\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,text\n")
    empty_text = tmp_path / "emptytext.csv"
    empty_text.write_text("id,text\nz1,fine\nz2,   \n")
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"id": "z1", "text": "fine"}\n{"id": "z2", "text": \n')
    return {
        "malformed row": (
            malformed,
            {"id_column": "id"},
            r"malformed.csv line 3: expected 3 fields",
        ),
        "missing column": (
            missing,
            {"text_column": "body"},
            r"missing.csv line 2: column 'body' .*--text-column.* not found",
        ),
        "undecodable byte": (
            undecodable,
            {"encoding": "utf-8", "id_column": "id"},
            r"undecodable.csv line 3: byte 0xff .* cannot be decoded as utf-8",
        ),
        "label not in schema": (
            unknown_label,
            {"gold_column": "label", "id_column": "id"},
            r"unknown.csv line 3: gold label: Label 'eggs' is not a class",
        ),
        "unreadable image": (
            tmp_path / "badimgs",
            {},
            r"badimgs line 1: image .*broken.png.* cannot be read",
        ),
        "empty file": (empty, {}, r"empty.csv: the file is empty"),
        "header only": (header_only, {}, r"header.csv: the file has a header but no rows"),
        "empty text": (
            empty_text,
            {"id_column": "id"},
            r"emptytext.csv line 3: column 'text' is empty; use --on-error skip",
        ),
        "bad json": (bad_json, {}, r"bad.jsonl line 2: not valid JSON"),
    }


BAD = [
    "malformed row",
    "missing column",
    "undecodable byte",
    "label not in schema",
    "unreadable image",
    "empty file",
    "header only",
    "empty text",
    "bad json",
]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_fails_and_changes_nothing(tmp_path, case):
    data_type = "image" if case == "unreadable image" else "text"
    classes = ["cat", "dog"] if data_type == "image" else ["spam", "ham"]
    project = Project.init(tmp_path / "p", classes=classes, data_type=data_type)
    if data_type == "text":
        project.import_items(write_csv(tmp_path / "good.csv"), id_column="id", gold_column="label")
    before_status, before = project.status(), snapshot(project)
    path, options, message = _bad_inputs(tmp_path)[case]
    with pytest.raises(ImportRowError, match=message):
        project.import_items(path, **options)
    assert snapshot(project) == before
    after = project.status()
    assert (after["items"], after["votes"], after["by_status"]) == (
        before_status["items"],
        before_status["votes"],
        before_status["by_status"],
    )
    project.close()


@pytest.mark.parametrize(
    "case",
    [
        "malformed row",
        "undecodable byte",
        "label not in schema",
        "unreadable image",
        "empty text",
        "bad json",
    ],
)
def test_skip_imports_good_rows_and_writes_rejects(tmp_path, case):
    data_type = "image" if case == "unreadable image" else "text"
    classes = ["cat", "dog"] if data_type == "image" else ["spam", "ham"]
    project = Project.init(tmp_path / "p", classes=classes, data_type=data_type)
    path, options, message = _bad_inputs(tmp_path)[case]
    rejects = tmp_path / "rejects.jsonl"
    report = project.import_items(path, on_error="skip", rejects_path=rejects, **options)
    assert report.items_added == 1
    assert report.rejected == 1
    assert report.rejects_path == str(rejects)
    (reject,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert reject["line"] >= 1
    expected = {
        "malformed row": "expected 3 fields",
        "undecodable byte": "cannot be decoded",
        "label not in schema": "Label 'eggs'",
        "unreadable image": "cannot be read",
        "empty text": "is empty",
        "bad json": "not valid JSON",
    }[case]
    assert expected in reject["reason"]
    assert items(project) == 1
    project.close()


def test_skip_with_default_rejects_path(project, tmp_path):
    path, options, _ = _bad_inputs(tmp_path)["malformed row"]
    report = project.import_items(path, on_error="skip", **options)
    assert report.rejects_path == str(path.parent / "malformed.csv.rejects.jsonl")
    assert Path(report.rejects_path).is_file()


@pytest.mark.parametrize("case", ["missing column", "empty file"])
def test_skip_still_fails_on_whole_file_problems(project, tmp_path, case):
    path, options, message = _bad_inputs(tmp_path)[case]
    with pytest.raises(ImportRowError, match=message):
        project.import_items(path, on_error="skip", **options)
    assert not list(tmp_path.glob(".rejects-*"))


def test_other_bad_arguments(project, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        project.import_items(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"cannot tell the format.*--format"):
        project.import_items(write_csv(tmp_path / "x.xlsx"))
    with pytest.raises(ConfigError, match="'on_error' parameter must be 'fail' or 'skip'"):
        project.import_items(pd.DataFrame(ROWS), on_error="ignore")
    with pytest.raises(ConfigError, match="Unknown encoding 'klingon'"):
        project.import_items(write_csv(tmp_path / "y.csv"), encoding="klingon")
    with pytest.raises(ConfigError, match="text project; use --text-column"):
        project.import_items(pd.DataFrame(ROWS), image_column="text")
    with pytest.raises(ConfigError, match="must be a path or a pandas DataFrame"):
        project.import_items([1, 2, 3])


# -- a killed import leaves the project consistent ---------------------------------------------
def test_killed_import_leaves_the_project_as_before(tmp_path):
    project = Project.init(tmp_path / "p", classes=["spam", "ham"])
    project.import_items(write_csv(tmp_path / "good.csv"), id_column="id")
    project.close()
    big = tmp_path / "big.csv"
    with open(big, "w") as fh:
        fh.write("text\n")
        for i in range(400_000):
            fh.write(f"message number {i} with some words\n")
    script = (
        "import sys; from labelmill import Project; "
        "p = Project.open(sys.argv[1]); p.import_items(sys.argv[2])"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "p"), str(big)])
    time.sleep(4)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reopened = Project.open(tmp_path / "p")
    assert reopened.status()["items"] == 4
    import sqlalchemy as sa

    with reopened.store.session() as s:
        assert s.execute(sa.text("pragma integrity_check")).scalar() == "ok"
    reopened.close()


def test_import_on_postgresql(tmp_path, postgres_url):
    project = Project.init(tmp_path / "pg", classes=["spam", "ham"], db_url=postgres_url)
    report = project.import_items(
        write_csv(tmp_path / "in.csv"), id_column="id", gold_column="label"
    )
    assert report.items_added == 4
    with pytest.raises(ImportRowError):
        project.import_items(
            _bad_inputs(tmp_path)["label not in schema"][0], gold_column="label", id_column="id"
        )
    assert project.status()["items"] == 4
    assert project.import_items(tmp_path / "in.csv", id_column="id").items_added == 0
    project.close()
