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
from tests.conftest import shared_data

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


# -- real files from ../shared/data ------------------------------------------------------------
ADULT_COLUMNS = (
    "age,workclass,fnlwgt,education,education-num,marital-status,occupation,relationship,"
    "race,sex,capital-gain,capital-loss,hours-per-week,native-country,income"
).split(",")


def test_raw_adult_data_imports_with_no_header_and_columns(tmp_path):
    """Defects 2 and 3: the raw UCI file (no header, ', ' separators) as downloaded."""
    path = shared_data("adult", "adult.data")
    project = Project.init(tmp_path / "a", classes=["<=50K", ">50K"], data_type="tabular")
    with pytest.raises(InputError, match=r"first line looks like data.*'39'.*--no-header"):
        project.import_items(path, format="csv")
    assert items(project) == 0
    report = project.import_items(
        path, format="csv", header=False, columns=ADULT_COLUMNS, gold_column="income"
    )
    assert (report.rows_read, report.items_added, report.gold_labels) == (32561, 32561, 32561)
    assert any("every ',' is followed by a space" in n for n in report.notes)
    (features,) = [n for n in report.notes if n.startswith("features")]
    assert "age, workclass" in features and "income" not in features
    assert project.status()["by_class"]["gold"] == {"<=50K": 24720, ">50K": 7841}
    first = project.to_frame().iloc[0]
    assert (first["age"], first["workclass"], first["native-country"]) == (
        39,
        "State-gov",
        "United-States",
    )
    assert first["label"] == "<=50K" and "income" not in first
    project.close()


def test_ag_news_csv_imports_with_no_header(tmp_path):
    """Defect 2: AG News test.csv has no header line; its first field is the class."""
    import csv

    path = shared_data("ag_news", "test.csv")
    project = Project.init(tmp_path / "ag", classes=["World", "Sports", "Business", "Sci/Tech"])
    report = project.import_items(
        path,
        header=False,
        columns=["class", "title", "description"],
        text_column="description",
        meta_columns=["class", "title"],
    )
    assert (report.rows_read, report.items_added) == (7600, 7600)
    frame = project.to_frame()
    with open(path, newline="", encoding="utf-8") as fh:
        truth = list(csv.reader(fh))
    assert list(frame["text"]) == [row[2] for row in truth]
    assert list(frame["title"]) == [row[1] for row in truth]
    assert frame["class"].value_counts().to_dict() == {"1": 1900, "2": 1900, "3": 1900, "4": 1900}
    project.close()


def test_sms_tsv_skip_mode_loses_no_row_after_a_stray_quote(tmp_path):
    """Defect 5: every line is either imported or rejected with its own line and text."""
    path = shared_data("sms_spam", "SMSSpamCollection")
    project = Project.init(tmp_path / "s", classes=["ham", "spam"])
    options = {"format": "tsv", "header": False, "columns": ["label", "text"]}
    with pytest.raises(ImportRowError, match=r"SMSSpamCollection line 283: not valid CSV"):
        project.import_items(path, **options)
    rejects = tmp_path / "sms.rejects.jsonl"
    report = project.import_items(path, on_error="skip", rejects_path=rejects, **options)
    assert report.rows_read == 5574
    assert report.items_added + report.rejected == 5574
    lines = path.read_text(encoding="utf-8").splitlines()
    rejected = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert len(rejected) == report.rejected == 10 and rejected[0]["line"] == 283
    for entry in rejected:
        assert entry["raw"] == lines[entry["line"] - 1]
    # --no-quoting reads every line as it is
    other = Project.init(tmp_path / "s2", classes=["ham", "spam"])
    assert other.import_items(path, quoting=False, **options).items_added == 5574
    project.close()
    other.close()


# -- CSV options, detection and bad files -----------------------------------------------------
def test_an_unbalanced_quote_costs_one_row(project, tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text('text\tlabel\nok one\tham\n"unbalanced start\tham\nthree\tspam\nfour\tham\n')
    with pytest.raises(ImportRowError, match=r"q.tsv line 3: not valid CSV.*read again"):
        project.import_items(path)
    rejects = tmp_path / "r.jsonl"
    report = project.import_items(path, on_error="skip", rejects_path=rejects)
    assert (report.items_added, report.rejected) == (3, 1)
    (entry,) = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert entry == {
        "line": 3,
        "reason": entry["reason"],
        "raw": '"unbalanced start\tham',
    }
    assert list(project.to_frame()["text"]) == ["ok one", "three", "four"]


def test_a_quote_in_the_middle_of_a_field_names_the_option(project, tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text('text\tlabel\n"quoted" and more\tham\n')
    with pytest.raises(
        ImportRowError, match=r"line 2: not valid CSV: a quoted field is .*--no-quoting"
    ):
        project.import_items(path)
    assert project.import_items(path, quoting=False).items_added == 1
    assert project.to_frame()["text"][0] == '"quoted" and more'


def test_header_separator_and_spaces_are_detected_and_said(project, tmp_path):
    semi = tmp_path / "semi.csv"
    semi.write_text("text;label\nhello there;ham\n")
    report = project.import_items(semi)
    assert any("has no ',' but has ';'" in n for n in report.notes)
    assert project.to_frame()["label"].tolist() == [None]  # no gold column asked for
    assert project.to_frame()["text"].tolist() == ["hello there"]
    spaced = tmp_path / "spaced.csv"
    spaced.write_text("id, text, lang\nx1, good day, en\n")
    report = project.import_items(spaced, id_column="id")
    assert any("followed by a space" in n for n in report.notes)
    assert project.item("x1")["payload"] == "good day"
    kept = tmp_path / "kept.csv"
    kept.write_text("id, text\nx2, kept\n")
    project.import_items(kept, id_column="id", skip_initial_space=False)
    assert project.item("x2")["payload"] == " kept"  # header names are always stripped
    piped = tmp_path / "piped.txt"
    piped.write_text("x3|piped text\n")
    project.import_items(piped, sep="|", header=False, columns=["id", "text"], id_column="id")
    assert project.item("x3")["payload"] == "piped text"
    numbers = tmp_path / "years.csv"
    numbers.write_text("text,2019,2020\nsome text,1,2\n")
    with pytest.raises(InputError, match="looks like data.*'2019'"):
        project.import_items(numbers)
    assert project.import_items(numbers, header=True).items_added == 1


def test_csv_option_errors(project, tmp_path):
    path = write_csv(tmp_path / "in.csv")
    with pytest.raises(ConfigError, match=r"separator \(--sep\) must be one character.*'::'"):
        project.import_items(path, sep="::")
    with pytest.raises(ConfigError, match=r"use --sep ',' with --skip-initial-space"):
        project.import_items(path, sep=", ")
    with pytest.raises(
        ImportRowError, match=r"--columns names 2 columns but the header line has 4"
    ):
        project.import_items(path, columns=["a", "b"])
    with pytest.raises(
        ImportRowError, match=r"in.csv line 1: expected 2 fields \(as named by --columns\)"
    ):
        project.import_items(path, header=False, columns=["id", "text"], id_column="id")
    from labelmill.data.delimited import parse_columns, parse_separator

    with pytest.raises(ConfigError, match=r"--columns must be distinct.*\(repeated: \['a'\]\)"):
        parse_columns("a,b,a")
    with pytest.raises(ConfigError, match="--columns must be distinct, non-empty"):
        parse_columns("a,,b")
    assert parse_separator("tab") == "\t" and parse_separator("\\t") == "\t"
    assert items(project) == 0


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        ("zip", "a ZIP archive"),
        (b"\x1f\x8b\x08\x00rest", "a gzip archive"),
        (b"\x7fELF\x02\x01\x01", "an ELF executable"),
        (b"text\nabc\x00\x00\x01\x02\n", "binary content: NUL bytes"),
    ],
)
def test_binary_files_are_not_read_as_tables(project, tmp_path, content, looks_like):
    path = tmp_path / "data.csv"
    if content == "zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("inner.csv", "text\nhello\n")
    else:
        path.write_bytes(content)
    with pytest.raises(InputError, match=rf"data.csv: this is not a text table \(.*{looks_like}"):
        project.import_items(path)
    assert items(project) == 0


def test_the_import_total_leaves_the_header_out(project, tmp_path):
    """Defect 10: the bar's total is the rows, not the lines."""
    totals, done = [], []
    project.import_items(
        write_csv(tmp_path / "in.csv"), total_callback=totals.append, progress=done.append
    )
    assert totals == [4] and sum(done) == 4
    path = tmp_path / "noend.csv"
    path.write_text("text\na\nb")  # no line break after the last row
    totals.clear()
    project.import_items(path, total_callback=totals.append)
    assert totals == [2]
    blank = tmp_path / "blank.csv"
    blank.write_text("text\nc\nd\n\n")  # a blank last line, as adult.data has
    totals.clear()
    project.import_items(blank, total_callback=totals.append)
    assert totals == [2]


def test_rejects_file_needs_an_existing_folder(project, tmp_path):
    path, options, _ = _bad_inputs(tmp_path)["malformed row"]
    with pytest.raises(ConfigError, match=r"rejects file .*nowhere.* the folder .* does not exist"):
        project.import_items(
            path, on_error="skip", rejects_path=tmp_path / "nowhere" / "r.jsonl", **options
        )
    assert not (tmp_path / "nowhere").exists() and items(project) == 0


# -- tabular columns: one rule ------------------------------------------------------------------
def _table(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    rows = ["id,age,job,income,truth,note"]
    for i in range(8):
        income = ">50K" if i % 2 else "<=50K"
        rows.append(f"r{i},{30 + i},{'clerk' if i % 2 else 'cook'},{income},{income},n{i}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_tabular_features_are_the_named_columns_and_the_rest_is_metadata(tmp_path):
    """Defect 3: with fields, the other columns are kept as metadata, not dropped."""
    project = Project.init(
        tmp_path / "f", classes=["<=50K", ">50K"], data_type="tabular", fields=["age", "job"]
    )
    report = project.import_items(_table(tmp_path), id_column="id", gold_column="income")
    assert report.notes[0] == (
        "features (2, the schema's fields): age, job; kept as metadata, not features: truth, note"
    )
    row = project.to_frame().iloc[0]
    assert (row["age"], row["job"], row["truth"], row["note"]) == (30, "cook", "<=50K", "n0")
    assert project.item("r0")["payload"] == {"age": 30, "job": "cook"}
    project.close()


def test_tabular_features_without_fields_leave_out_meta_and_hidden_columns(tmp_path):
    project = Project.init(
        tmp_path / "g",
        classes=["<=50K", ">50K"],
        data_type="tabular",
        settings={"hidden_columns": ["note"]},
    )
    report = project.import_items(
        _table(tmp_path), id_column="id", gold_column="income", meta_columns=["truth"]
    )
    assert (
        report.notes[0]
        == "features (2, every other column): age, job; kept as metadata, not features: truth, note"
    )
    assert project.item("r1")["payload"] == {"age": 31, "job": "clerk"}
    project.close()


def test_a_feature_that_gives_the_label_away_is_reported(tmp_path):
    """Defect 3: a forgotten label column, and a column that predicts gold perfectly."""
    project = Project.init(tmp_path / "h", classes=["<=50K", ">50K"], data_type="tabular")
    report = project.import_items(_table(tmp_path), id_column="id")  # income not named
    warnings = [n for n in report.notes if n.startswith("Warning:")]
    assert len(warnings) == 2
    assert "'income' holds nothing but class names (<=50K, >50K)" in warnings[0]
    assert "--gold-column income" in warnings[0]
    other = Project.init(tmp_path / "i", classes=["<=50K", ">50K"], data_type="tabular")
    report = other.import_items(
        _table(tmp_path), id_column="id", gold_column="income", meta_columns=["truth"]
    )
    (warning,) = [n for n in report.notes if n.startswith("Warning:")]
    assert "'job' predicts the gold label perfectly on all 8 gold rows" in warning
    project.close()
    other.close()


# -- image folders: --folder-labels ---------------------------------------------------------------
def _class_folders(root: Path) -> Path:
    for cls in ("cat", "dog"):
        (root / cls).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.full((4, 4), i * 60 + (cls == "dog") * 5, np.uint8)).save(
                root / cls / f"{i}.png"
            )
    return root


@pytest.mark.parametrize("mode", ["meta", "none"])
def test_folder_labels_can_be_kept_hidden_or_ignored(tmp_path, mode):
    """Defect 4: class folders need not become gold labels."""
    root = _class_folders(tmp_path / "imgs")
    project = Project.init(tmp_path / "p", classes=["cat", "dog"], data_type="image")
    report = project.import_items(root, folder_labels=mode)
    assert (report.items_added, report.gold_labels) == (4, 0)
    frame = project.to_frame()
    assert set(frame["status"]) == {"unlabeled"}
    if mode == "meta":
        assert sorted(frame["folder"]) == ["cat", "cat", "dog", "dog"]
        assert project.settings.hidden_columns == ("folder",)
        assert "hidden from rules" in report.notes[0]
        assert Project.open(tmp_path / "p").settings.hidden_columns == ("folder",)
    else:
        assert "folder" not in frame and "label" not in frame.columns.drop("label")
    with pytest.raises(ConfigError, match="'folder_labels' parameter of import_items must be"):
        project.import_items(root, folder_labels="silver")
    project.close()


def test_more_bad_sources_are_refused_with_a_reason(project, tmp_path):
    folder = tmp_path / "afolder"
    folder.mkdir()
    with pytest.raises(InputError, match="afolder is a folder; import a file"):
        project.import_items(folder, format="csv")
    with pytest.raises(InputError, match="--format images needs a folder of images"):
        project.import_items(write_csv(tmp_path / "x.csv"), format="images")
    for content, message in (
        ("{not json", "not a Label Studio JSON file"),
        ('"text"', "an array of tasks; got str"),
        ("[]", "the file is empty: no tasks"),
    ):
        path = tmp_path / "ls.json"
        path.write_text(content)
        with pytest.raises(ImportRowError, match=message):
            project.import_items(path, format="label-studio")
    two = tmp_path / "two.json"
    two.write_text(
        json.dumps(
            [
                {
                    "data": {"text": "a"},
                    "annotations": [{"result": [{"value": {"choices": ["spam", "ham"]}}]}],
                }
            ]
        )
    )
    with pytest.raises(ImportRowError, match=r"single-label answer must choose one class"):
        project.import_items(two)
    rejects_dir = tmp_path / "rej"
    rejects_dir.mkdir()
    path, options, _ = _bad_inputs(tmp_path)["malformed row"]
    with pytest.raises(ConfigError, match="rejects file .*rej is a folder"):
        project.import_items(path, on_error="skip", rejects_path=rejects_dir, **options)
    table = Project.init(tmp_path / "t", classes=["a", "b"], data_type="tabular")
    only = tmp_path / "only.csv"
    only.write_text("id,label\nx,a\n")
    with pytest.raises(ImportRowError, match="no feature columns left"):
        table.import_items(only, id_column="id", gold_column="label")
    table.close()
    assert items(project) == 0


def test_images_outside_the_import_folder_are_refused(tmp_path):
    """Trial (issue 15 #7): a listing naming images outside its folder, or a folder of
    symlinks to images elsewhere, imported fine, but the browser never showed those images
    (it serves only files inside the import's folder). They are refused with the reason."""
    data = tmp_path / "data"
    _class_folders(data / "imgs")
    elsewhere = _class_folders(tmp_path / "elsewhere")
    listing = data / "list.csv"
    listing.write_text(
        f"image,label\nimgs/cat/0.png,cat\n{elsewhere / 'dog' / '0.png'},dog\n"
        "../elsewhere/dog/1.png,dog\n"
    )
    project = Project.init(tmp_path / "p", classes=["cat", "dog"], data_type="image")
    with pytest.raises(ImportRowError, match=r"list.csv line 3: image .*0.png.* is outside the"):
        project.import_items(listing, gold_column="label")
    assert len(project.to_frame()) == 0
    report = project.import_items(listing, gold_column="label", on_error="skip")
    assert (report.items_added, report.rejected) == (1, 2)
    linked = tmp_path / "linked" / "dog"
    linked.mkdir(parents=True)
    os.symlink(elsewhere / "dog" / "1.png", linked / "1.png")
    with pytest.raises(ImportRowError, match=r"line 1: image .*linked/dog/1.png' is outside"):
        project.import_items(tmp_path / "linked")
    (item_id,) = project.to_frame()["id"]
    assert project.media_file(item_id).is_file()  # what was imported can be shown
    project.close()
