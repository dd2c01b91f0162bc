"""apply_lfs: engines agree, failures are named or counted, outputs are validated."""

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, InputError, LabelingFunctionError
from labelmill.lf import apply_lfs, labeling_function, rules_from_dicts


@labeling_function()
def lf_long(x):
    return 1 if len(x.text) > 12 else -1


@labeling_function()
def lf_digit(x):
    return 0 if any(c.isdigit() for c in x.text) else -1


@labeling_function()
def lf_fragile(x):
    if x.text.startswith("boom"):
        raise ValueError("cannot handle boom")
    return -1


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "7", "gamma", "boom", "delta"]
    texts = [" ".join(rng.choice(words, size=rng.integers(1, 5))) for _ in range(300)]
    return pd.DataFrame({"text": texts}, index=[f"id{i}" for i in range(300)])


def mixed():
    return [lf_long, lf_digit] + rules_from_dicts(
        [{"name": "kw", "kind": "keywords", "keywords": ["gamma"], "label": 1}]
    )


def test_local(frame):
    L = apply_lfs(mixed(), frame)
    assert L.shape == (300, 3) and L.dtype == np.int64
    assert L.lf_names == ["lf_long", "lf_digit", "kw"]
    want = [1 if len(t) > 12 else -1 for t in frame.text]
    assert L[:, 0].tolist() == want


def test_processes_equal_local(frame):
    L = apply_lfs(mixed(), frame)
    P = apply_lfs(mixed(), frame, engine="processes", n_jobs=2)
    np.testing.assert_array_equal(L, P)


def test_dask_equal_local(frame):
    distributed = pytest.importorskip("distributed")
    L = apply_lfs(mixed(), frame)
    with (
        distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        D = apply_lfs(mixed(), frame, engine="dask", scheduler=client)
        np.testing.assert_array_equal(L, D)
        import dask.dataframe as dd

        D2 = apply_lfs(
            mixed(),
            dd.from_pandas(frame, npartitions=3, sort=False),
            engine="dask",
            scheduler=client,
        )
        np.testing.assert_array_equal(L, D2)
        with pytest.raises(LabelingFunctionError, match="lf_fragile"):
            apply_lfs([lf_fragile], frame, engine="dask", scheduler=client)


def test_dask_without_client_errors(frame):
    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match="needs a dask.distributed cluster"):
        apply_lfs([lf_long], frame, engine="dask")
    with pytest.raises(ConfigError, match="'scheduler' parameter .* threads, processes"):
        apply_lfs([lf_long], frame, engine="dask", scheduler=3)


def test_failure_names_lf_and_item(frame):
    first = int(np.flatnonzero(frame.text.str.startswith("boom"))[0])
    with pytest.raises(
        LabelingFunctionError,
        match=rf"'lf_fragile' raised ValueError: cannot handle boom on item at row {first} "
        rf"\(index 'id{first}'\)",
    ):
        apply_lfs([lf_long, lf_fragile], frame)
    with pytest.raises(LabelingFunctionError, match=rf"'lf_fragile' .* row {first} "):
        apply_lfs([lf_fragile], frame, engine="processes", n_jobs=2)


def test_fault_tolerant_counts(frame, caplog):
    L = apply_lfs([lf_long, lf_fragile], frame, fault_tolerant=True)
    n_boom = int(frame.text.str.startswith("boom").sum())
    assert L.failures == {"lf_long": 0, "lf_fragile": n_boom}
    assert (L[:, 1] == -1).all()
    assert "failed on some items" in caplog.text
    P = apply_lfs([lf_long, lf_fragile], frame, fault_tolerant=True, engine="processes", n_jobs=2)
    assert P.failures == L.failures


def test_output_validation():
    df = pd.DataFrame({"text": ["a", "b"]})

    @labeling_function()
    def returns_str(x):
        return "spam"

    @labeling_function()
    def returns_big(x):
        return 3

    @labeling_function()
    def returns_np(x):
        return np.int64(1)

    with pytest.raises(
        LabelingFunctionError, match=r"'returns_str' returned 'spam' \(str\) on item at row 0"
    ):
        apply_lfs([returns_str], df)
    with pytest.raises(LabelingFunctionError, match="< cardinality 2"):
        apply_lfs([returns_big], df, cardinality=2)
    with pytest.raises(LabelingFunctionError, match=r"returned 0\.5 \(float\) .* class index"):
        apply_lfs([labeling_function(name="half")(lambda x: 0.5)], df)
    with pytest.raises(LabelingFunctionError, match=r"returned None \(NoneType\)"):
        apply_lfs([labeling_function(name="none")(lambda x: None)], df)
    with pytest.raises(LabelingFunctionError, match=r"returned -2 \(int\)"):
        apply_lfs([labeling_function(name="neg")(lambda x: -2.0)], df)
    assert apply_lfs([returns_np], df).tolist() == [[1], [1]]


@pytest.mark.parametrize(
    ("value", "vote"),
    [(True, 1), (False, 0), (np.bool_(True), 1), (1.0, 1), (np.float32(0.0), 0), (-1.0, -1)],
)
def test_bool_and_whole_float_outputs_as_snorkel_stores_them(value, vote):
    lf = labeling_function(name="v")(lambda x: value)
    assert apply_lfs([lf], pd.DataFrame({"text": ["a", "b"]})).tolist() == [[vote], [vote]]


def test_row_is_shared_by_the_functions_of_a_row(frame):
    seen = []

    @labeling_function()
    def first(x):
        seen.append(x)
        return -1

    @labeling_function()
    def second(x):
        assert x is seen[-1] and x.name == frame.index[len(seen) - 1]
        return -1

    apply_lfs([first, second], frame.iloc[:5])
    assert len(seen) == 5


def test_dask_local_schedulers_equal_local(frame):
    dd = pytest.importorskip("dask.dataframe")
    L = apply_lfs(mixed(), frame)
    for scheduler in ("synchronous", "threads"):
        np.testing.assert_array_equal(
            apply_lfs(mixed(), frame, engine="dask", scheduler=scheduler, n_jobs=3), L
        )
    parts = dd.from_pandas(frame, npartitions=3, sort=False)
    np.testing.assert_array_equal(
        apply_lfs(mixed(), parts, engine="dask", scheduler="synchronous"), L
    )
    first = int(np.flatnonzero(frame.text.str.startswith("boom"))[0])
    with pytest.raises(LabelingFunctionError, match=rf"'lf_fragile' .* row {first} "):
        apply_lfs([lf_fragile], parts, engine="dask", scheduler="synchronous")


def test_argument_errors(frame):
    with pytest.raises(ConfigError, match="'engine' parameter .* Got 'spark'"):
        apply_lfs([lf_long], frame, engine="spark")
    with pytest.raises(ConfigError, match="'n_jobs' parameter"):
        apply_lfs([lf_long], frame, n_jobs=0)
    with pytest.raises(ConfigError, match="is empty"):
        apply_lfs([], frame)
    with pytest.raises(ConfigError, match="not a labeling function"):
        apply_lfs([3], frame)
    with pytest.raises(ConfigError, match="names must be unique"):
        apply_lfs([lf_long, lf_long], frame)
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        apply_lfs([lf_long], [{"text": "a"}])


def test_plain_callable_and_empty_frame():
    def plain(x):
        return 0

    L = apply_lfs([plain], pd.DataFrame({"text": ["a"]}))
    assert L.lf_names == ["plain"] and L.tolist() == [[0]]
    assert apply_lfs([plain], pd.DataFrame({"text": []})).shape == (0, 1)
