"""Plots: the artists drawn, their data and labels (Agg backend, see conftest)."""

import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
plt = pytest.importorskip("matplotlib.pyplot")

from skmm.plotting import (  # noqa: E402
    plot_eta_history,
    plot_fusion_weights,
    plot_pattern_scores,
    plot_robustness_curve,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_robustness_curve_lines_and_labels():
    table = pd.DataFrame({"std": [0.0, 0.5, 1.0], "score": [0.9, 0.7, 0.4]})
    ax = plot_robustness_curve(table, label="RAML")
    ax = plot_robustness_curve({"std": [0.0, 0.5, 1.0], "score": [0.8, 0.5, 0.3]}, ax=ax,
                               label="concat", linestyle="--")
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [0.8, 0.5, 0.3])
    assert ax.lines[1].get_linestyle() == "--" and ax.lines[0].get_marker() == "o"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("std", "score")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["RAML", "concat"]
    multi = {"p": [0.1, 0.2], "score_accuracy": [0.9, 0.8], "score_f1": [0.7, 0.6]}
    with pytest.raises(ValueError, match="several score columns"):
        plot_robustness_curve(multi)
    ax = plot_robustness_curve(multi, score="score_f1")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.7, 0.6])
    with pytest.raises(ValueError, match="Column 'q' is not in the table"):
        plot_robustness_curve(multi, x="q", score="score_f1")
    with pytest.raises(TypeError, match="Expected a table"):
        plot_robustness_curve([0.1, 0.2])


def test_pattern_scores_bars():
    table = pd.DataFrame(
        {
            "pattern": [("a",), ("b",), ("a", "b")],
            "n_present": [1, 1, 2],
            "n_samples": [10, 10, 10],
            "score": [0.6, 0.9, 0.95],
        }
    )
    ax = plot_pattern_scores(table)
    assert len(ax.patches) == 3
    assert [p.get_height() for p in ax.patches] == [0.6, 0.9, 0.95]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "a+b"]
    # colored by the number of present modalities
    colors = [p.get_facecolor() for p in ax.patches]
    assert colors[0] == colors[1] != colors[2]
    ax = plot_pattern_scores(table, sort=True)
    assert [p.get_height() for p in ax.patches] == [0.95, 0.9, 0.6]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a+b", "b", "a"]
    assert ax.get_ylabel() == "score"


def test_fusion_weights_heatmap():
    rng = np.random.RandomState(0)
    w_a = rng.uniform(size=(5, 6))
    weights = {"image": w_a, "text": 1 - w_a}
    ax = plot_fusion_weights(weights)
    image = ax.images[0]
    np.testing.assert_allclose(image.get_array(), np.stack([w_a.mean(0), 1 - w_a.mean(0)]))
    assert image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["image", "text"]
    assert ax.get_xlabel() == "latent dimension"
    assert len(ax.figure.axes) == 2  # the heatmap and its colorbar
    ax = plot_fusion_weights(weights, sample=3, colorbar=False)
    np.testing.assert_allclose(ax.images[0].get_array(), np.stack([w_a[3], 1 - w_a[3]]))
    assert len(ax.figure.axes) == 1 and ax.get_title() == "fusion weights of sample 3"
    with pytest.raises(TypeError, match="returned by RAMLClassifier.fusion_weights"):
        plot_fusion_weights(w_a)


def test_fusion_weights_of_a_fitted_raml():
    from skmm import RAMLClassifier

    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 20)
    X = {"a": y[:, None] + rng.randn(40, 2), "b": rng.randn(40, 3)}
    clf = RAMLClassifier(max_epochs=1, hidden_sizes=(8,), latent_dim=4, random_state=0)
    ax = plot_fusion_weights(clf.fit(X, y).fusion_weights(X))
    assert ax.images[0].get_array().shape == (2, 4)


def test_eta_history_lines():
    eta = np.array([[0.5, 0.5, 0.5], [0.6, 0.4, 0.5], [0.7, 0.3, 0.5], [0.8, 0.2, 0.5]])
    ax = plot_eta_history(eta, names=["a", "v", "t"])
    assert len(ax.lines) == 3
    assert [line.get_label() for line in ax.lines] == ["a", "v", "t"]
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), eta[:, 1])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("regulation step", "eta")
    ax = plot_eta_history(eta, xlabel="epoch")
    assert ax.get_xlabel() == "epoch"
    assert [line.get_label() for line in ax.lines] == ["modality 0", "modality 1", "modality 2"]
    axes = plot_eta_history({"a": eta[:, 0], "v": eta[:, 1]},
                            relative_advantage_history={"a": [0.1, 0.0, -0.1, 0.0],
                                                        "v": [-0.1, 0.0, 0.1, 0.0]})
    assert len(axes) == 2 and axes[0].figure is axes[1].figure
    assert [len(a.lines) for a in axes] == [2, 2]
    assert axes[1].get_ylabel() == "relative advantage"
    assert axes[1].get_xlabel() == "regulation step"
    np.testing.assert_array_equal(axes[1].lines[0].get_ydata(), [0.1, 0.0, -0.1, 0.0])
    with pytest.raises(ValueError, match="eta_history has 3 columns but 2 modality names"):
        plot_eta_history(eta, names=["a", "v"])
    with pytest.raises(ValueError, match="ax must be a pair of Axes here, got 1"):
        plot_eta_history(eta, eta, ax=plt.gca())


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skmm\[plot\]"):
        plot_robustness_curve({"std": [0.0], "score": [1.0]})


def test_eta_history_of_a_fitted_redcore():
    from skmm import RedCoreClassifier

    rng = np.random.RandomState(0)
    y = np.tile([0, 1], 20)
    X = {"a": y[:, None] + rng.randn(40, 2), "b": rng.randn(40, 3)}
    X["b"][:10] = np.nan
    clf = RedCoreClassifier(max_epochs=2, hidden_sizes=(8,), batch_size=16, random_state=0)
    clf.fit(X, y)
    axes = plot_eta_history(clf.eta_history_, clf.relative_advantage_history_, clf.modalities_)
    n_steps = clf.eta_history_.shape[0]
    assert [len(a.lines) for a in axes] == [2, 2]
    assert [line.get_label() for line in axes[0].lines] == ["a", "b"]
    np.testing.assert_array_equal(axes[0].lines[1].get_ydata(), clf.eta_history_[:, 1])
    np.testing.assert_array_equal(axes[1].lines[0].get_xdata(), np.arange(1, n_steps + 1))


def _regression_report(**kwargs):
    from sklearn.ensemble import HistGradientBoostingRegressor

    from skmm.evaluation import robustness_report

    rng = np.random.RandomState(0)
    flat = rng.randn(90, 4)
    y = 2 * flat[:, 0] - flat[:, 1] + 0.3 * rng.randn(90)
    reg = HistGradientBoostingRegressor(max_iter=20, min_samples_leaf=5, random_state=0)
    return robustness_report({"hgb": reg}, flat[:60], y[:60], flat[60:], y[60:],
                             modalities={"a": [0, 1], "b": [2, 3]}, noise_levels=[0.0, 3.0],
                             progress=False, **kwargs)


def test_robustness_report_figure_of_a_regressor_names_its_scorer():
    from skmm.plotting import plot_robustness_report

    report = _regression_report()
    fig = plot_robustness_report(report)
    (bars,), (curve, _) = [sub.axes for sub in fig.subfigs]  # noise on "a", on "b"
    assert bars.get_ylabel() == curve.get_ylabel() == "r2"
    assert [p.get_height() for p in bars.patches] == report["missing_patterns"]["score"].tolist()
    # R² is negative with only the noise modality "b" or under heavy noise: the axes fit
    # the scores instead of accuracy's [0, 1]
    assert report["missing_patterns"]["score"].iloc[1] < 0
    assert bars.get_ylim()[0] < report["missing_patterns"]["score"].min()
    assert curve.get_ylim()[0] < report["noise"]["score"].min()
    mae = _regression_report(scoring="neg_mean_absolute_error")
    fig = plot_robustness_report(mae, title="regression")
    (bars,), (curve, _) = [sub.axes for sub in fig.subfigs]
    assert bars.get_ylabel() == curve.get_ylabel() == "neg_mean_absolute_error"
    low, high = bars.get_ylim()
    assert low < mae["missing_patterns"]["score"].min() and high <= 0.1
    # dict tables (no pandas) do not carry the metric: the column names the axis
    plain = {k: {c: v.to_numpy() for c, v in t.items()} for k, t in report.items()}
    fig = plot_robustness_report(plain)
    assert fig.subfigs[0].axes[0].get_ylabel() == "score"


def test_single_plots_name_the_metric_of_the_table():
    table = pd.DataFrame({"pattern": [("a",), ("a", "b")], "n_present": [1, 2],
                          "score": [0.5, 0.8]})
    table.attrs["scoring"] = "r2"
    assert plot_pattern_scores(table).get_ylabel() == "r2"
    curve = pd.DataFrame({"std": [0.0, 1.0], "score": [0.8, 0.4]})
    curve.attrs["scoring"] = "neg_mean_absolute_error"
    assert plot_robustness_curve(curve).get_ylabel() == "neg_mean_absolute_error"
    multi = pd.DataFrame({"std": [0.0], "score_r2": [0.8], "score_mae": [0.1]})
    multi.attrs["scoring"] = "r2"  # only names the "score" column
    assert plot_robustness_curve(multi, score="score_mae").get_ylabel() == "score_mae"
