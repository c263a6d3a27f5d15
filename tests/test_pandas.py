"""pandas end to end: MultimodalData of DataFrames through scikit-learn's model selection,
column specs by name in a Pipeline, index labels in error messages, column names checked
per modality, indexes that must agree, and categorical modalities (issue 24)."""

import re
import warnings
from functools import partial

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_wine
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmm import (
    ConcatFusionClassifier,
    GaussianNoise,
    LateFusionClassifier,
    MultimodalData,
    PerModality,
    RAMLClassifier,
    SplitModalities,
    check_multimodal,
)

pd = pytest.importorskip("pandas")

SMALL = dict(hidden_sizes=(16,), classifier_hidden=16, max_epochs=15, lr=1e-2, random_state=0)


@pytest.fixture(scope="module")
def wine():
    return load_wine(return_X_y=True, as_frame=True)


def _two_frames(df):
    return MultimodalData(a=df.iloc[:, :6], b=df.iloc[:, 6:])


def test_rows_are_indexed_by_position_and_stay_dataframes(wine):
    df, _ = wine
    X = _two_frames(df)
    part = X[[0, 1]]  # was KeyError: "None of [Index([0, 1])] are in the [columns]"
    assert isinstance(part["a"], pd.DataFrame) and list(part["a"].columns) == list(df.columns[:6])
    pd.testing.assert_frame_equal(part["b"], df.iloc[[0, 1], 6:])
    shifted = _two_frames(df.iloc[10:])  # labels 10..177: positions, not labels, select
    assert shifted[[0]]["a"].index.tolist() == [10]
    assert shifted[2:4]["b"].index.tolist() == [12, 13]
    assert shifted[np.arange(168) == 5]["a"].index.tolist() == [15]
    assert shifted[(slice(0, 2), Ellipsis)].shape == (2,)  # sklearn's X[indices, ...]


def test_train_test_split_cross_val_score_and_grid_search(wine):
    df, y = wine
    X = _two_frames(df)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    assert isinstance(X_train, MultimodalData) and isinstance(X_train["a"], pd.DataFrame)
    assert X_train.shape == (133,) and X_test.shape == (45,)
    assert (X_train["a"].index == y_train.index).all()  # rows and labels stay together
    pipe = make_pipeline(PerModality(StandardScaler()), ConcatFusionClassifier(**SMALL))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8  # chance: 0.40
    search = GridSearchCV(pipe, {"concatfusionclassifier__max_epochs": [1, 15]}, cv=2)
    search.fit(X_train, y_train)
    assert search.best_params_ == {"concatfusionclassifier__max_epochs": 15}
    assert search.score(X_test, y_test) > 0.8


def test_name_spec_after_a_numpy_step_says_how_to_fix_it(wine):
    df, y = wine
    spec = {"a": list(df.columns[:6]), "b": list(df.columns[6:])}
    pipe = make_pipeline(StandardScaler(), RAMLClassifier(modalities=spec, **_raml()))
    message = (
        "Modality 'a': columns ['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', "
        "'magnesium'] are names, but X is a NumPy array, which has no column names (a "
        "Pipeline step such as StandardScaler returns NumPy arrays). Keep the DataFrame's "
        "columns by setting that step's output to pandas (StandardScaler().set_output("
        'transform="pandas")), or split the modalities first: make_pipeline(SplitModalities('
        "spec), PerModality(StandardScaler()), ...)."
    )
    with pytest.raises(TypeError) as err:
        pipe.fit(df, y)
    assert str(err.value) == message
    # both fixes the message gives work
    fixed = make_pipeline(
        StandardScaler().set_output(transform="pandas"),
        RAMLClassifier(modalities=spec, **_raml()),
    ).fit(df, y)
    assert fixed.predict_proba(df.iloc[:5]).shape == (5, 3)
    split_first = make_pipeline(
        SplitModalities(spec), PerModality(StandardScaler()), RAMLClassifier(**_raml())
    ).fit(df, y)
    assert split_first.score(df, y) > 0.8


def _raml():
    return dict(hidden_sizes=(16,), latent_dim=8, max_epochs=20, lr=1e-2, random_state=0)


def test_errors_give_dataframe_index_labels(wine):
    df, y = wine
    tail = df.iloc[10:].copy()
    tail.iloc[163, 2] = np.nan  # position 163, label 173
    with pytest.raises(ValueError) as err:
        check_multimodal(_two_frames(tail))
    assert str(err.value) == (
        "Modality 'a' has partial NaN in rows [163] (DataFrame index labels [173]): a present "
        "row must be fully finite. Mark a missing modality by setting the whole row to NaN."
    )
    spec = {"a": list(df.columns[:6]), "b": list(df.columns[6:])}
    with pytest.raises(ValueError, match=r"rows \[163\] \(DataFrame index labels \[173\]\)"):
        RAMLClassifier(modalities=spec, **_raml()).fit(tail, y.iloc[10:])
    both = tail.copy()
    both.iloc[[0, 1]] = np.nan  # every modality missing at labels 10, 11
    both.iloc[163, 2] = 1.0
    with pytest.raises(ValueError, match=r"^Rows \[0, 1\] \(DataFrame index labels \[10, 11\]\) "
                                         r"have every modality missing"):
        check_multimodal(_two_frames(both))
    # a default RangeIndex: labels equal positions and are not repeated
    head = df.copy()
    head.iloc[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"in rows \[3\]: a present row"):
        check_multimodal(_two_frames(head))


# -- issue 24, section 1: inputs checked as scikit-learn checks them -------------------

TINY = dict(hidden_sizes=(8,), classifier_hidden=8, max_epochs=2, lr=1e-2, early_stopping=False,
            tol=None, random_state=0)


def _frames(n=24, seed=0):
    rng = np.random.RandomState(seed)
    y = np.tile([0, 1], n // 2)
    a = pd.DataFrame(rng.randn(n, 3) + y[:, None], columns=["p", "q", "r"])
    b = pd.DataFrame(rng.randn(n, 2), columns=["s", "t"])
    return a, b, y


def _order_message(name):
    return re.escape(
        f"Modality {name!r}: The feature names should match those that were passed during fit.\n"
        "Feature names must be in the same order as they were in fit.\n"
    )


@pytest.mark.parametrize("container", [dict, MultimodalData])
def test_columns_of_a_modality_are_checked_as_sklearn_checks_them(container):
    """Before: a modality's columns were used by position, whatever their names (reversing
    one modality's columns changed the predictions, without a word)."""
    a, b, y = _frames()
    clf = ConcatFusionClassifier(**TINY).fit(container(a=a, b=b), y)
    assert list(clf.modality_feature_names_in_) == ["a", "b"]
    np.testing.assert_array_equal(clf.modality_feature_names_in_["a"], ["p", "q", "r"])
    assert clf.modality_feature_names_in_["b"].dtype == object
    assert clf.modality_n_features_in_ == {"a": 3, "b": 2}
    assert not hasattr(clf, "feature_names_in_") and not hasattr(clf, "n_features_in_")
    clf.predict(container(a=a, b=b))  # the same columns: fine
    for method in (clf.predict, clf.predict_proba, partial(clf.score, y=y)):
        with pytest.raises(ValueError, match=f"^{_order_message('b')}$"):
            method(container(a=a, b=b[["t", "s"]]))  # reversed
    renamed = a.rename(columns={"p": "P", "q": "Q"})
    with pytest.raises(ValueError) as err:
        clf.predict(container(a=renamed, b=b))
    assert str(err.value) == (
        "Modality 'a': The feature names should match those that were passed during fit.\n"
        "Feature names unseen at fit time:\n- P\n- Q\n"
        "Feature names seen at fit time, yet now missing:\n- p\n- q\n"
    )
    with pytest.raises(ValueError, match=r"^Modality 'a': The feature names should match .*\n"
                                         r"Feature names seen at fit time, yet now missing:\n- r\n$"):
        clf.predict(container(a=a[["p", "q"]], b=b))  # a column missing
    # the modalities in another key order are still reordered, names and all
    clf.predict(container(b=b, a=a))


def test_feature_names_on_one_side_only_warn_per_modality():
    a, b, y = _frames()
    clf = ConcatFusionClassifier(**TINY).fit({"a": a, "b": b.to_numpy()}, y)
    assert list(clf.modality_feature_names_in_) == ["a"]  # "b" had no names
    with pytest.warns(UserWarning) as record:
        clf.predict({"a": a.to_numpy(), "b": b})
    assert [str(w.message) for w in record] == [
        "Modality 'a': X does not have valid feature names, but ConcatFusionClassifier was "
        "fitted with feature names",
        "Modality 'b': X has feature names, but ConcatFusionClassifier was fitted without "
        "feature names",
    ]
    assert {w.filename for w in record} == {__file__}  # the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict({"a": a, "b": b.to_numpy()})  # as in fit: silent
    # refitting without names forgets them
    clf.fit({"a": a.to_numpy(), "b": b.to_numpy()}, y)
    assert not hasattr(clf, "modality_feature_names_in_")


def test_flat_dataframe_keeps_sklearns_attributes_and_gets_per_modality_ones():
    a, b, y = _frames()
    df = pd.concat([a, b], axis=1)
    spec = {"a": [0, 1, 2], "b": slice(3, 5)}  # by position: a NumPy X can be split too
    clf = ConcatFusionClassifier(modalities=spec, **TINY).fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["p", "q", "r", "s", "t"])
    assert clf.n_features_in_ == 5 and clf.modality_n_features_in_ == {"a": 3, "b": 2}
    np.testing.assert_array_equal(clf.modality_feature_names_in_["b"], ["s", "t"])
    with pytest.raises(ValueError, match=r"^The feature names should match those that were "
                                         r"passed during fit\.\nFeature names must be in the "
                                         r"same order as they were in fit\.\n$"):
        clf.predict(df[df.columns[::-1]])  # scikit-learn's own check of the flat X
    with pytest.warns(UserWarning, match="X does not have valid feature names") as record:
        clf.predict(df.to_numpy())
    assert len(record) == 1  # once, for the whole X, not again per modality


def test_a_pipeline_refuses_reordered_columns_at_its_first_step():
    a, b, y = _frames()
    pipe = make_pipeline(PerModality(StandardScaler()), ConcatFusionClassifier(**TINY))
    pipe.fit(MultimodalData(a=a, b=b), y)
    np.testing.assert_array_equal(pipe[0].modality_feature_names_in_["a"], ["p", "q", "r"])
    with pytest.raises(ValueError, match=r"^Modality 'a': The feature names should match"):
        pipe.predict(MultimodalData(a=a[["r", "q", "p"]], b=b))


# -- indexes ------------------------------------------------------------------------


def test_modalities_whose_indexes_disagree_are_refused():
    """Before: MultimodalData(text=..., audio=df.iloc[perm]) paired rows by position."""
    a, b, y = _frames(n=8)
    shuffled = b.iloc[[1, 0, 2, 3, 4, 5, 7, 6]]
    message = (
        "Modalities 'a' and 'b' have different pandas indexes: the rows at positions "
        "[0, 1, 6, 7] are labelled [0, 1, 6, 7] in 'a' but [1, 0, 7, 6] in 'b'. skmm pairs "
        "the modalities of a sample by position, as scikit-learn does, never by index label. "
        "Align them by label first (X_b = X_b.reindex(X_a.index): rows it lacks become NaN "
        "rows, that is, missing), or, if the rows already correspond by position, drop the "
        "labels with .reset_index(drop=True)."
    )
    with pytest.raises(ValueError) as err:
        MultimodalData(a=a, b=shuffled)
    assert str(err.value) == message
    clf = ConcatFusionClassifier(**TINY)
    with pytest.raises(ValueError, match=re.escape(message)):
        clf.fit({"a": a, "b": shuffled}, y)  # a plain dict too
    with pytest.raises(ValueError, match=re.escape(message)):
        check_multimodal({"a": a, "b": shuffled})
    X = MultimodalData(a=a, b=b)
    with pytest.raises(ValueError, match=r"^Modalities 'a' and 'b' have different pandas"):
        X["b"] = shuffled  # replacing a modality is checked too
    with pytest.raises(ValueError, match=r"labelled \[0\] in 'a' but \[10\] in 'c'"):
        X["c"] = pd.Series(np.arange(8.0), index=[10, 1, 2, 3, 4, 5, 6, 7])  # a Series
    # what the message offers works: labels aligned, or positions kept
    aligned = MultimodalData(a=a, b=shuffled.reindex(a.index))
    pd.testing.assert_frame_equal(aligned["b"], b)
    MultimodalData(a=a, b=shuffled.reset_index(drop=True))
    # equal labels of other types, and a NumPy modality beside a DataFrame, are fine
    MultimodalData(a=a, b=b.set_axis(a.index.astype(float)), c=np.zeros((8, 1)))
    # reindexing to labels a modality lacks gives NaN rows: that modality is missing there
    partial = MultimodalData(a=a, b=b.iloc[:6].reindex(a.index))
    assert check_multimodal(partial).mask[:, 1].tolist() == [True] * 6 + [False] * 2


# -- categorical and string columns ------------------------------------------------------


def _with_meta(n=24, seed=0):
    a, _, y = _frames(n, seed)
    rng = np.random.RandomState(seed + 1)
    meta = pd.DataFrame({
        "city": pd.Categorical(np.where(y == 1, "paris", "rome")),
        "size": rng.randn(n),
        "kind": np.where(rng.rand(n) > 0.5, "x", "y").astype(object),
    })
    return a, meta, y


def test_estimator_error_for_a_categorical_modality_says_how_to_encode_it():
    """Before: "Modality 'meta' has dtype object with non-numeric values: could not convert
    string to float: 'rome'", for a pandas Categorical column."""
    a, meta, y = _with_meta()
    clf = ConcatFusionClassifier(**TINY)
    with pytest.raises(TypeError) as err:
        clf.fit({"a": a, "meta": meta}, y)
    assert str(err.value) == (
        f"Modality 'meta' has non-numeric columns ['city' (category), 'kind' "
        f"({meta['kind'].dtype})]; skmm's "  # object, or str from pandas 3 on
        "estimators need numbers. Encode these columns in a Pipeline step before the "
        "estimator, e.g. PerModality(ColumnTransformer([('onehot', OneHotEncoder("
        "handle_unknown='ignore'), ['city', 'kind'])], remainder='passthrough'), "
        "targets='meta')."
    )
    with pytest.raises(TypeError, match=re.escape(
        "Modality 'meta' has non-numeric columns ['city' (category)]; skmm's estimators need "
        "numbers. Encode it in a Pipeline step before the estimator, e.g. PerModality("
        "OneHotEncoder(handle_unknown='ignore'), targets='meta').")
    ):
        clf.fit({"a": a, "meta": meta[["city"]]}, y)  # every column: encode the modality
    flat = pd.concat([a, meta], axis=1)
    with pytest.raises(TypeError, match=r"targets='meta'\)\. The modalities of a flat X are "
                                        r"split by the column spec: split them first, "
                                        r"make_pipeline\(SplitModalities\(modalities\)"):
        ConcatFusionClassifier(modalities={"a": ["p", "q", "r"], "meta": ["city", "size",
                                                                          "kind"]},
                               **TINY).fit(flat, y)
    # numeric pandas dtypes other than NumPy's are numbers
    nullable = meta[["size"]].astype("Float64").assign(n=pd.array(range(24), dtype="Int64"))
    clf.fit({"a": a, "meta": nullable}, y)
    assert clf.modality_n_features_in_ == {"a": 3, "meta": 2}


def test_permodality_encodes_a_categorical_modality_by_column_name():
    """Before: PerModality(ColumnTransformer([...["city"]]), targets="meta") failed in the
    numeric check, before the transformer ran."""
    a, meta, y = _with_meta()
    meta = meta.copy()
    meta.iloc[[0, 5]] = None  # "meta" missing for samples 0 and 5 (every value missing)
    meta.iloc[3, 1] = np.nan  # one missing value in a present row: the transformer's job
    encode = ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore"), ["city", "kind"])],
        remainder=SimpleImputer(),
    )
    step = PerModality(encode, targets="meta")
    X = MultimodalData(a=a, meta=meta)
    out = step.fit_transform(X, y)
    assert out["meta"].shape == (24, 5)  # 2 cities, 2 kinds, size
    assert np.isnan(out["meta"][[0, 5]]).all()  # missing rows stay missing
    assert not np.isnan(np.delete(out["meta"], [0, 5], axis=0)).any()
    assert isinstance(out["a"], pd.DataFrame)  # not a target: passed through as it is
    pd.testing.assert_frame_equal(out["a"], a)
    assert isinstance(step.transformers_["meta"].feature_names_in_, np.ndarray)  # got a frame
    np.testing.assert_array_equal(step.transform(X)["meta"], out["meta"])
    pipe = make_pipeline(clone(step), ConcatFusionClassifier(**TINY)).fit(X, y)
    assert pipe[-1].modality_n_features_in_ == {"a": 3, "meta": 5}
    assert pipe.predict(X[[1, 2, 5]]).shape == (3,)
    assert pipe.predict(MultimodalData(a=a.iloc[:1], meta=meta.iloc[[0]])).shape == (1,)
    with pytest.raises(ValueError, match=r"^Modality 'meta': The feature names should match"):
        pipe.predict(MultimodalData(a=a, meta=meta[meta.columns[::-1]]))


def test_split_modalities_then_encode_a_flat_dataframe():
    a, meta, y = _with_meta()
    flat = pd.concat([a, meta[["city"]]], axis=1)
    spec = {"a": ["p", "q", "r"], "meta": ["city"]}
    split = SplitModalities(spec)
    parts = split.fit_transform(flat)
    assert isinstance(parts["meta"], pd.DataFrame) and isinstance(parts["a"], pd.DataFrame)
    assert parts["meta"]["city"].dtype == "category"
    pipe = make_pipeline(
        SplitModalities(spec),
        PerModality(StandardScaler(), targets="a"),
        PerModality(OneHotEncoder(sparse_output=False), targets="meta"),
        ConcatFusionClassifier(**TINY),
    ).fit(flat, y)
    assert pipe[-1].modality_n_features_in_ == {"a": 3, "meta": 2}
    assert pipe.predict(flat).shape == (24,)
    # a numeric modality reaches a ColumnTransformer as a DataFrame too
    by_name = PerModality(ColumnTransformer([("scale", StandardScaler(), ["q"])]), targets="a")
    assert by_name.fit_transform(parts)["a"].shape == (24, 1)


def test_permodality_encodes_an_array_of_strings():
    rng = np.random.RandomState(0)
    words = np.array([["red"], ["blue"], [None], ["red"]], dtype=object)  # sample 2 missing
    X = {"w": words, "v": rng.randn(4, 2)}
    out = PerModality(OneHotEncoder(sparse_output=False), targets="w").fit_transform(X)
    np.testing.assert_array_equal(out["w"], [[0, 1], [1, 0], [np.nan, np.nan], [0, 1]])
    with pytest.raises(TypeError, match=r"^Modality 'w' has non-numeric dtype <U4; expected "
                                        r"numbers\. Encode it in a Pipeline step before the "
                                        r"estimator, e.g\. PerModality\(OneHotEncoder\("):
        check_multimodal({"w": words.astype(str)})


def test_flat_dataframe_without_a_spec_stays_a_dataframe_through_a_corruption():
    """A flat DataFrame (one modality) comes back from a corruption as a DataFrame with its
    columns and index, so that the estimator after it in a Pipeline sees at ``predict``
    the feature names it was fitted with (it warned that X had no feature names)."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randn(80, 3), columns=["u", "v", "w"], index=np.arange(80) + 100)
    y = (X["u"] > 0).astype(int).to_numpy()
    noised = GaussianNoise(0.1, random_state=0).fit(X).transform(X)
    assert isinstance(noised, pd.DataFrame)
    assert list(noised.columns) == ["u", "v", "w"] and (noised.index == X.index).all()
    pipe = make_pipeline(GaussianNoise(0.1, random_state=0),
                         LateFusionClassifier(max_epochs=2, random_state=0)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pipe.predict(X).shape == (80,)
