"""Robustness evaluation: missing-pattern tables, their summary, corruption curves."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from skmm import (
    FeatureMasking,
    GaussianNoise,
    KeepModalities,
    ModalityDropout,
    MultimodalData,
    RAMLClassifier,
)
from skmm.evaluation import corruption_scores, missing_pattern_scores, summarize_by_size

PARAMS = dict(max_epochs=5, lr=1e-2, hidden_sizes=(16,), latent_dim=8, batch_size=32,
              random_state=0)


def _task(n=150, seed=0):
    """Only modality "a" is informative."""
    rng = np.random.RandomState(seed)
    y = np.tile([0, 1, 2], n // 3)
    centers = np.array([[0, 0], [3, 0], [0, 3]])
    return (
        MultimodalData(a=centers[y] + 0.5 * rng.randn(n, 2), b=rng.randn(n, 3),
                       c=rng.randn(n, 2)),
        y,
    )


@pytest.fixture(scope="module")
def fitted():
    X, y = _task()
    return RAMLClassifier(**PARAMS).fit(X, y), X, y


def test_missing_pattern_scores_table(fitted):
    clf, X, y = fitted
    before = {k: v.copy() for k, v in X.items()}
    table = missing_pattern_scores(clf, X, y)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["pattern", "n_present", "n_samples", "score"]
    assert len(table) == 2**3 - 1
    assert table["pattern"].tolist() == [
        ("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c")
    ]
    assert table["n_present"].tolist() == [1, 1, 1, 2, 2, 2, 3]
    assert (table["n_samples"] == 150).all()
    # the scores are those of KeepModalities applied by hand
    for pattern, score in zip(table["pattern"], table["score"]):
        assert score == clf.score(KeepModalities(list(pattern)).corrupt(X), y)
    # only "a" is informative: every pattern with "a" beats every pattern without it
    with_a = table["pattern"].map(lambda p: "a" in p)
    assert table.loc[with_a, "score"].min() > table.loc[~with_a, "score"].max() + 0.3
    for k in X:
        np.testing.assert_array_equal(X[k], before[k])


def test_summary_by_size(fitted):
    clf, X, y = fitted
    table = missing_pattern_scores(clf, X, y)
    summary = summarize_by_size(table)
    assert summary["n_present"].tolist() == [1, 2, 3, "all"]
    assert summary["n_patterns"].tolist() == [3, 3, 1, 7]
    s = table["score"].to_numpy()
    np.testing.assert_allclose(
        summary["score"], [s[:3].mean(), s[3:6].mean(), s[6], s.mean()]
    )


def test_explicit_patterns_scoring_and_multimetric(fitted):
    clf, X, y = fitted
    table = missing_pattern_scores(clf, X, y, patterns=[("b", "a"), "c"], scoring="accuracy")
    assert table["pattern"].tolist() == [("a", "b"), ("c",)]  # in the data's order
    assert table["score"].iloc[0] == clf.score(KeepModalities(["a", "b"]).corrupt(X), y)
    multi = missing_pattern_scores(clf, X, y, patterns=[("a",)],
                                   scoring=["accuracy", "balanced_accuracy"])
    assert list(multi.columns) == [
        "pattern", "n_present", "n_samples", "score_accuracy", "score_balanced_accuracy"
    ]
    assert summarize_by_size(multi)["score_accuracy"].tolist() == [
        multi["score_accuracy"].iloc[0]
    ] * 2
    with pytest.raises(ValueError, match=r"each pattern must be a non-empty tuple .*\('q',\)"):
        missing_pattern_scores(clf, X, y, patterns=[("q",)])


def test_incomplete_test_data_scores_samples_that_keep_a_modality(fitted):
    clf, X, y = fitted
    X = X.copy()
    X["a"] = X["a"].copy()
    X["a"][:30] = np.nan
    table = missing_pattern_scores(clf, X, y)
    n = dict(zip(table["pattern"], table["n_samples"]))
    assert n[("a",)] == 120 and n[("b",)] == 150 and n[("a", "b")] == 150
    rows = np.arange(30, 150)
    expected = clf.score(KeepModalities("a").corrupt(X[rows]), y[rows])
    assert table["score"].iloc[0] == expected
    only_a = {"a": X["a"][:30] * 0 + np.nan, "b": X["b"][:30], "c": X["c"][:30]}
    only_a["a"][0] = 1.0
    table = missing_pattern_scores(clf, only_a, y[:30], patterns=[("a",)])
    assert table["n_samples"].tolist() == [1]


def test_dict_tables_without_pandas(fitted, monkeypatch):
    clf, X, y = fitted
    import skmm._tables

    monkeypatch.setattr(skmm._tables, "_pandas", lambda: None)  # as if pandas were absent
    table = missing_pattern_scores(clf, X, y)
    assert isinstance(table, dict) and list(table) == ["pattern", "n_present", "n_samples",
                                                       "score"]
    assert table["pattern"].dtype == object and table["pattern"][3] == ("a", "b")
    np.testing.assert_array_equal(table["n_present"], [1, 1, 1, 2, 2, 2, 3])
    summary = summarize_by_size(table)
    assert isinstance(summary, dict) and summary["n_present"].tolist() == [1, 2, 3, "all"]
    curve = corruption_scores(clf, X, y, GaussianNoise(random_state=0), "std", [0.0, 1.0])
    assert isinstance(curve, dict) and curve["std"].tolist() == [0.0, 1.0]


def test_flat_array_with_estimator_spec():
    X, y = _task()
    flat = np.hstack([X["a"], X["b"], X["c"]])
    spec = {"a": [0, 1], "b": slice(2, 5), "c": [5, 6]}
    clf = RAMLClassifier(modalities=spec, **PARAMS).fit(flat, y)
    table = missing_pattern_scores(clf, flat, y)
    assert len(table) == 7
    dropped = flat.copy()
    dropped[:, 2:] = np.nan  # pattern ("a",) by hand, in the flat form
    assert table["score"].iloc[0] == clf.score(dropped, y)
    curve = corruption_scores(clf, flat, y, GaussianNoise(targets="b", random_state=0),
                              "std", [0.0, 0.5])
    noisy = GaussianNoise(std=0.5, targets="b", random_state=0).corrupt(X)
    assert curve["score"].iloc[1] == clf.score(np.hstack([noisy["a"], noisy["b"], noisy["c"]]), y)
    # a DataFrame with a spec by column names
    df = pd.DataFrame(flat, columns=[f"f{i}" for i in range(7)])
    spec_df = {"a": ["f0", "f1"], "b": ["f2", "f3", "f4"], "c": ["f5", "f6"]}
    clf_df = RAMLClassifier(modalities=spec_df, **PARAMS).fit(df, y)
    table_df = missing_pattern_scores(clf_df, df, y)
    assert table_df["score"].iloc[0] == clf_df.score(df.assign(f2=np.nan, f3=np.nan,
                                                               f4=np.nan, f5=np.nan,
                                                               f6=np.nan), y)


def test_corruption_scores(fitted):
    clf, X, y = fitted
    before = {k: v.copy() for k, v in X.items()}
    noise = GaussianNoise(targets="a", random_state=0)
    table = corruption_scores(clf, X, y, noise, "std", [0.0, 1.0, 4.0])
    assert list(table.columns) == ["std", "score"] and table["std"].tolist() == [0.0, 1.0, 4.0]
    assert table["score"].iloc[0] == clf.score(X, y)
    assert table["score"].iloc[1] == clf.score(noise.set_params(std=1.0).corrupt(X), y)
    assert table["score"].iloc[0] > table["score"].iloc[2] + 0.2
    assert noise.std == 1.0 and not hasattr(noise, "modalities_")  # clones are used
    masking = corruption_scores(clf, X, y, FeatureMasking(targets="a", random_state=0), "p",
                                [0.0, 1.0], scoring="accuracy")
    assert masking["score"].iloc[0] == clf.score(X, y) and masking["score"].iloc[1] < 0.5
    dropout = corruption_scores(clf, X, y, ModalityDropout(random_state=0), "rates",
                                [{"a": 0.0}, {"a": 1.0}])
    assert dropout["score"].iloc[0] > dropout["score"].iloc[1] + 0.3
    for k in X:
        np.testing.assert_array_equal(X[k], before[k])
    # a transformer without corrupt(): fitted on X, then its transform
    half = FunctionTransformer(lambda Z: MultimodalData({k: v * 0.5 for k, v in Z.items()}))
    table = corruption_scores(clf, X, y, half, "validate", [False])
    assert table["score"].iloc[0] == clf.score(MultimodalData({k: v * 0.5 for k, v in
                                                               X.items()}), y)
    with pytest.raises(ValueError, match="Invalid parameter 'sd' for estimator GaussianNoise"):
        corruption_scores(clf, X, y, noise, "sd", [1.0])
    with pytest.raises(ValueError, match="values is empty"):
        corruption_scores(clf, X, y, noise, "std", [])


def test_any_estimator_with_score():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 50)
    flat = y[:, None] + 0.1 * rng.randn(100, 2)
    clf = LogisticRegression().fit(flat, y)
    with pytest.warns(UserWarning, match="single modality 'x'"):
        table = missing_pattern_scores(clf, flat, y)
    assert table["pattern"].tolist() == [("x",)] and table["score"].iloc[0] == 1.0


def test_modules_import_neither_torch_nor_optional_dependencies():
    code = (
        "import sys, skmm.corruption, skmm.augmentation, skmm.evaluation, skmm.plotting; "
        "print(sorted(m for m in ('torch', 'matplotlib', 'imblearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- Pipelines fed flat or DataFrame data (issue 14, section 2) ---------------------


def _flat_task():
    X, y = _task(n=90)
    df = pd.DataFrame(np.hstack([X["a"], X["b"], X["c"]]),
                      columns=["a0", "a1", "b0", "b1", "b2", "c0", "c1"],
                      index=np.arange(1000, 1090))
    spec = {"a": ["a0", "a1"], "b": ["b0", "b1", "b2"], "c": ["c0", "c1"]}
    return X, df, y, spec


FAST = dict(max_epochs=2, lr=1e-2, hidden_sizes=(8,), random_state=0)


@pytest.mark.parametrize("where", ["final", "split"])
def test_pattern_and_noise_scores_on_pipelines_fed_flat_data(where):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skmm import LateFusionClassifier, PerModality, SplitModalities

    X, df, y, spec = _flat_task()
    if where == "final":  # the spec in the final estimator, after a column-keeping scaler
        pipe = make_pipeline(StandardScaler().set_output(transform="pandas"),
                             LateFusionClassifier(modalities=spec, **FAST))
    else:  # the spec in SplitModalities
        pipe = make_pipeline(SplitModalities(spec), PerModality(StandardScaler()),
                             LateFusionClassifier(**FAST))
    pipe.fit(df, y)
    # Before: a pandas KeyError (DataFrame) or one pattern ('x',) (NumPy array).
    table = missing_pattern_scores(pipe, df, y)
    assert table["pattern"].tolist()[-1] == ("a", "b", "c") and len(table) == 7
    keep_a = df.copy()
    keep_a.loc[:, ["b0", "b1", "b2", "c0", "c1"]] = np.nan
    assert table["score"].iloc[0] == pipe.score(keep_a, y)
    curve = corruption_scores(pipe, df, y, GaussianNoise(targets="a", random_state=0), "std",
                              [0.0, 2.0])
    noisy = GaussianNoise(std=2.0, targets="a", modalities=spec, random_state=0).corrupt(df)
    assert curve["score"].tolist() == [pipe.score(df, y), pipe.score(noisy, y)]
    if where == "split":  # positional spec on a NumPy array
        pos = {"a": [0, 1], "b": [2, 3, 4], "c": [5, 6]}
        arr_pipe = make_pipeline(SplitModalities(pos), LateFusionClassifier(**FAST))
        arr_pipe.fit(df.to_numpy(), y)
        arr_table = missing_pattern_scores(arr_pipe, df.to_numpy(), y)
        assert len(arr_table) == 7


def test_explicit_modalities_argument_and_mismatch_error():
    from sklearn.pipeline import make_pipeline

    from skmm import LateFusionClassifier

    X, df, y, spec = _flat_task()
    # A custom step splits the data: the spec cannot be found, so the model's modalities
    # do not match and the error asks for modalities=.
    split = FunctionTransformer(lambda d: MultimodalData(
        {k: d[v].to_numpy() for k, v in spec.items()}))
    pipe = make_pipeline(split, LateFusionClassifier(**FAST)).fit(df, y)
    with pytest.raises(ValueError, match=r"uses modalities \['a', 'b', 'c'\], but X reads as "
                                         r"modalities \['x'\]\. Pass modalities="):
        missing_pattern_scores(pipe, df, y)
    table = missing_pattern_scores(pipe, df, y, patterns=[("a",)], modalities=spec)
    keep_a = df.copy()
    keep_a.loc[:, ["b0", "b1", "b2", "c0", "c1"]] = np.nan
    assert table["score"].tolist() == [pipe.score(keep_a, y)]
    with pytest.raises(ValueError, match="X is already a dict"):
        missing_pattern_scores(pipe, X, y, modalities=spec)


# -- robustness_report (issue 14, section 3) ------------------------------------


def test_robustness_report_tables():
    from sklearn.preprocessing import StandardScaler

    from skmm import ConcatFusionClassifier, LateFusionClassifier, PerModality
    from skmm.evaluation import robustness_report

    X, y = _task(n=90)
    X_test, y_test = _task(n=60, seed=1)
    late = LateFusionClassifier(**FAST)
    report = robustness_report(
        {"late": late, "concat": ConcatFusionClassifier(max_epochs=2, random_state=0)},
        X, y, X_test, y_test, preprocess=PerModality(StandardScaler()),
        noise_levels=[0, 1.5], noise_targets=["a"], return_estimators=True, progress=False,
    )
    assert sorted(report) == ["estimators", "fit_time", "missing_patterns", "noise"]
    assert not hasattr(late, "classes_")  # cloned: the object passed stays unfitted
    pats = report["missing_patterns"]
    assert list(pats.columns) == ["estimator", "pattern", "n_present", "n_samples", "score"]
    assert pats["estimator"].tolist() == ["late"] * 7 + ["concat"] * 7
    noise = report["noise"]
    assert list(noise.columns) == ["estimator", "modality", "std", "score"]
    assert noise[["estimator", "modality", "std"]].values.tolist() == [
        ["late", "a", 0.0], ["late", "a", 1.5], ["concat", "a", 0.0], ["concat", "a", 1.5]]
    assert (report["fit_time"]["fit_time_s"] > 0).all()
    # the numbers are those of the building blocks, on the preprocessed test set
    fitted = report["estimators"]["late"]
    scaled = PerModality(StandardScaler()).fit(X).transform(X_test)
    expected = missing_pattern_scores(fitted, scaled, y_test)["score"].tolist()
    assert pats["score"].tolist()[:7] == expected
    assert noise["score"].iloc[0] == fitted.score(scaled, y_test)




def test_robustness_report_progress_and_conflictive_options(monkeypatch, capsys):
    from skmm import LateFusionClassifier, evaluation
    from skmm.evaluation import robustness_report

    X, y = _task(n=60)
    calls = []

    def fake_make_conflictive(X, y, *, random_state=None, conflict_fraction=0.4):
        calls.append((random_state, conflict_fraction))
        out = MultimodalData({k: v.copy() for k, v in X.items()})
        out["a"] = out["a"][::-1].copy()  # swap the informative modality between samples
        return out, {"noise": np.array([], int), "conflict": np.arange(len(y))}

    monkeypatch.setattr(evaluation, "make_conflictive", fake_make_conflictive)
    report = robustness_report([LateFusionClassifier(**FAST)], X, y, X, y, patterns=None,
                               noise_levels=[], conflictive={"conflict_fraction": 0.2},
                               random_state=7, progress=True, return_estimators=True)
    assert sorted(report) == ["conflictive", "estimators", "fit_time"]
    fitted = report["estimators"]["LateFusionClassifier"]
    table = report["conflictive"]
    assert table["estimator"].tolist() == ["LateFusionClassifier"] * 2
    assert table["setting"].tolist() == ["clean", "conflictive"]
    assert table["n_conflict"].tolist() == [0, 60]
    assert table["score"].tolist() == [
        fitted.score(X, y), fitted.score(fake_make_conflictive(X, y)[0], y)]
    assert calls[0] == (7, 0.2)  # the options and the report's random_state reach it
    assert "robustness" in capsys.readouterr().err  # progress=True: a bar on stderr
    robustness_report([LateFusionClassifier(**FAST)], X, y, X, y, patterns=None,
                      noise_levels=[0.0], progress="auto")
    assert capsys.readouterr().err == ""  # "auto": stderr is not a terminal here


def test_robustness_report_runs_the_real_conflictive_protocol():
    from skmm import LateFusionClassifier, corruption
    from skmm.evaluation import robustness_report

    X, y = _task(n=60)
    report = robustness_report([LateFusionClassifier(**FAST)], X, y, X, y, patterns=None,
                               noise_levels=None, random_state=0, return_estimators=True,
                               conflictive={"noise_fraction": 0.0, "conflict_fraction": 0.5})
    table = report["conflictive"]
    fitted = report["estimators"]["LateFusionClassifier"]
    conflicted, rows = corruption.make_conflictive(X, y, noise_fraction=0.0,
                                                   conflict_fraction=0.5, random_state=0)
    assert table["n_conflict"].tolist() == [0, len(rows["conflict"])] and len(rows["conflict"])
    assert table["score"].tolist() == [fitted.score(X, y), fitted.score(conflicted, y)]


def test_single_modality_flat_data_warns_that_one_pattern_is_scored():
    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 20)
    X = y[:, None] + 0.3 * rng.randn(40, 3)
    clf = LogisticRegression().fit(X, y)
    with pytest.warns(UserWarning, match=r"single modality 'x', so there is one pattern"):
        table = missing_pattern_scores(clf, X, y)
    assert table["pattern"].tolist() == [("x",)]
    split = missing_pattern_scores(clf, X, y, patterns=[("a", "b")],
                                   modalities={"a": [0], "b": [1, 2]})
    assert split["pattern"].tolist() == [("a", "b")]
    assert split["score"].iloc[-1] == clf.score(X, y)


# -- Regressors: R² by default, any scorer, the whole report ---------------------------

REG_SPEC = {"a": [0, 1], "b": [2, 3]}


def _regression(n=80, seed=0):
    """Flat data: "a" (columns 0, 1) carries most of the target, "b" a little."""
    rng = np.random.RandomState(seed)
    flat = rng.randn(n, 4)
    return flat, 2 * flat[:, 0] - flat[:, 1] + 0.5 * flat[:, 2] + 0.3 * rng.randn(n)


def _hgb():
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=30, min_samples_leaf=5, random_state=0)


def _bayes():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import BayesianRidge
    from sklearn.pipeline import make_pipeline

    return make_pipeline(SimpleImputer(), BayesianRidge())


def test_missing_pattern_scores_of_a_regressor_are_r2():
    from sklearn.metrics import mean_absolute_error, r2_score

    flat, y = _regression()
    reg = _hgb().fit(flat, y)  # NaN rows are native to it
    table = missing_pattern_scores(reg, flat, y, modalities=REG_SPEC)
    assert list(table.columns) == ["pattern", "n_present", "n_samples", "score"]
    assert table.attrs["scoring"] == "r2"
    dropped = flat.copy()
    dropped[:, 2:] = np.nan  # pattern ("a",) by hand
    assert table["score"].iloc[0] == pytest.approx(r2_score(y, reg.predict(dropped)))
    assert table["score"].iloc[2] == pytest.approx(r2_score(y, reg.predict(flat)))
    assert table["score"].iloc[2] > table["score"].iloc[0] > 0.5 > table["score"].iloc[1]
    summary = summarize_by_size(table)
    assert summary.attrs["scoring"] == "r2"
    assert summary["score"].iloc[0] == pytest.approx(table["score"].iloc[:2].mean())
    mae = missing_pattern_scores(reg, flat, y, scoring="neg_mean_absolute_error",
                                 modalities=REG_SPEC)
    assert mae.attrs["scoring"] == "neg_mean_absolute_error"
    assert mae["score"].iloc[0] == pytest.approx(-mean_absolute_error(y, reg.predict(dropped)))
    assert (mae["score"] < 0).all()
    multi = missing_pattern_scores(reg, flat, y, patterns=[("a",)], modalities=REG_SPEC,
                                   scoring=["r2", "neg_mean_squared_error"])
    assert list(multi.columns)[3:] == ["score_r2", "score_neg_mean_squared_error"]
    assert "scoring" not in multi.attrs  # the column names say it
    # a classifier's table names accuracy
    X, yc = _task(n=30)
    clf = LogisticRegression().fit(X["a"], yc)
    with pytest.warns(UserWarning, match="single modality"):
        assert missing_pattern_scores(clf, X["a"], yc).attrs["scoring"] == "accuracy"


def test_missing_pattern_scores_of_a_multioutput_regressor():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score
    from sklearn.pipeline import make_pipeline

    flat, y = _regression()
    Y = np.column_stack([y, flat[:, 3]])  # "b" carries the second output alone
    reg = make_pipeline(SimpleImputer(), Ridge()).fit(flat, Y)
    table = missing_pattern_scores(reg, flat, Y, patterns=[("a",)], modalities=REG_SPEC)
    dropped = flat.copy()
    dropped[:, 2:] = np.nan
    pred = reg.predict(dropped)
    assert table["score"].iloc[0] == pytest.approx(r2_score(Y, pred))  # mean over outputs
    assert table["score"].iloc[0] < 0.6  # the second output is lost without "b"


def test_corruption_scores_of_a_regressor():
    from sklearn.metrics import r2_score

    flat, y = _regression()
    reg = _hgb().fit(flat, y)
    curve = corruption_scores(reg, flat, y, GaussianNoise(targets="a", random_state=0), "std",
                              [0.0, 2.0], modalities=REG_SPEC)
    assert curve.attrs["scoring"] == "r2"
    noisy = GaussianNoise(std=2.0, targets="a", modalities=REG_SPEC, random_state=0)
    expected = r2_score(y, reg.predict(noisy.corrupt(flat)))
    assert curve["score"].tolist() == pytest.approx([reg.score(flat, y), expected])
    assert curve["score"].iloc[1] < curve["score"].iloc[0] - 0.3


def test_robustness_report_of_regressors():
    from sklearn.model_selection import GridSearchCV

    from skmm._model_input import _task
    from skmm.evaluation import robustness_report

    flat, y = _regression(n=120)
    train, test = slice(0, 80), slice(80, 120)
    report = robustness_report(
        {"hgb": _hgb(), "bayes": _bayes()}, flat[train], y[train], flat[test], y[test],
        modalities=REG_SPEC, noise_levels=[0.0, 1.0], return_estimators=True, progress=False,
    )
    assert sorted(report) == ["estimators", "fit_time", "missing_patterns", "noise"]
    pats, noise = report["missing_patterns"], report["noise"]
    assert list(pats.columns) == ["estimator", "pattern", "n_present", "n_samples", "score"]
    assert pats.attrs["scoring"] == noise.attrs["scoring"] == "r2"
    assert "scoring" not in report["fit_time"].attrs
    for name in ("hgb", "bayes"):
        fitted = report["estimators"][name]
        mine = pats[pats["estimator"] == name]
        expected = missing_pattern_scores(fitted, flat[test], y[test], modalities=REG_SPEC)
        assert mine["score"].tolist() == expected["score"].tolist()
        assert noise[noise["estimator"] == name]["score"].iloc[0] == pytest.approx(
            fitted.score(flat[test], y[test]))
    assert noise["modality"].tolist() == ["a", "a", "b", "b"] * 2
    mae = robustness_report(_bayes(), flat[train], y[train], flat[test], y[test],
                            modalities=REG_SPEC, noise_levels=None, progress=False,
                            scoring="neg_mean_absolute_error")
    assert sorted(mae) == ["fit_time", "missing_patterns"]
    assert mae["missing_patterns"].attrs["scoring"] == "neg_mean_absolute_error"
    assert (mae["missing_patterns"]["score"] < 0).all()
    # the conflictive test swaps classes: an error for a regressor, before any fit
    search = GridSearchCV(_bayes(), {"bayesianridge__alpha_1": [1e-6]}, cv=2)
    assert _task(search) == _task(_bayes()) == "regressor"
    with pytest.raises(ValueError, match=r"it needs classifiers, and \['GridSearchCV'\] is a "
                                         r"regressor\. Pass conflictive=None"):
        robustness_report([search], flat, y, flat, y, conflictive=True, progress=False)
    assert not hasattr(search, "best_estimator_")


def test_an_skmm_regressor_on_flat_data():
    import skmm

    if getattr(skmm, "RAMLRegressor", None) is None:
        pytest.skip("skmm.RAMLRegressor is not in this version")
    flat, y = _regression(n=60)
    reg = skmm.RAMLRegressor(modalities=REG_SPEC, hidden_sizes=(16,), max_epochs=5,
                             random_state=0).fit(flat, y)
    table = missing_pattern_scores(reg, flat, y)  # the spec is found on the model
    assert table["pattern"].tolist() == [("a",), ("b",), ("a", "b")]
    assert table.attrs["scoring"] == "r2"
    dropped = flat.copy()
    dropped[:, 2:] = np.nan
    assert table["score"].iloc[0] == pytest.approx(reg.score(dropped, y))
    assert table["score"].iloc[2] == pytest.approx(reg.score(flat, y))


def test_task_detection_looks_through_pipelines_searches_and_duck_types():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skmm._model_input import _task

    class Duck:  # no scikit-learn tags
        def fit(self, X, y):
            return self

    class DuckRegressor(Duck):
        _estimator_type = "regressor"

    assert _task(make_pipeline(FunctionTransformer(), LogisticRegression())) == "classifier"
    assert _task(GridSearchCV(_bayes(), {"bayesianridge__alpha_1": [1e-6]})) == "regressor"
    flat, y = _regression(n=40)
    search = GridSearchCV(_hgb(), {"max_iter": [5]}, cv=2).fit(flat, y)
    assert _task(search) == "regressor"
    assert _task(Duck()) is None and _task(DuckRegressor()) == "regressor"
