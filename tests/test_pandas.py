"""pandas end to end: MultimodalData of DataFrames through scikit-learn's model selection,
column specs by name in a Pipeline, and index labels in error messages."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import (
    ConcatFusionClassifier,
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
