"""Simple multimodal baselines: concatenation fusion and late fusion.

They share the estimator base, the data layer and the training options of the
paper methods (``augment``, ``train_noise``, encoders), so that benchmarks
compare fusion strategies and nothing else.
"""

from numbers import Integral

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from torch import nn

from skmm.base import (
    EmbeddingMixin,
    MultimodalBase,
    MultimodalClassifierBase,
    MultimodalRegressorBase,
    fill_doc,
)
from skmm.nn.functional import masked_row_sum, row_mean
from skmm.nn.module import MultimodalModule, build_encoders, take
from skmm.nn.tasks import Classification

__all__ = [
    "ConcatFusionClassifier",
    "ConcatFusionRegressor",
    "LateFusionClassifier",
    "LateFusionRegressor",
]


def _encode_all(encoders, batch):
    """Run each modality's encoder; returns a list of (b, width) tensors."""
    return [enc(x, n) for enc, x, n in zip(encoders, batch.xs, batch.lengths)]


class ConcatFusionModule(MultimodalModule):
    """Per-modality encoders, concatenation, MLP head (``n_outputs`` logits or values;
    ``task`` is its per-row loss, :class:`skmm.nn.Classification` when ``None``).

    A missing modality contributes a zero embedding (``torch.where``, so its
    content cannot leak). The classifier's first layer acts on the
    concatenation; since a linear map of a concatenation is the sum of its
    column blocks applied to each part, each modality's block is applied once
    per sample and the blocks of the present modalities are summed per
    augmented row (:func:`skmm.nn.masked_row_sum`): ``2**M - 1`` patterns cost
    little more than one.
    """

    def __init__(self, encoders, n_outputs, classifier_hidden, task=None):
        super().__init__()
        self.task = Classification() if task is None else task
        self.encoders = encoders
        widths = [e.out_features for e in encoders]
        self.bounds = [0, *torch.tensor(widths).cumsum(0).tolist()]
        self.first = nn.Linear(sum(widths), classifier_hidden)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(classifier_hidden, n_outputs))

    def encode(self, batch):
        feats = _encode_all(self.encoders, batch)
        # The first layer's column block of each modality, applied once per sample.
        return torch.stack(
            [
                F.linear(f, self.first.weight[:, lo:hi])
                for f, lo, hi in zip(feats, self.bounds[:-1], self.bounds[1:])
            ],
            dim=1,
        ), feats

    def fuse(self, feats, mask):
        return torch.cat(
            [torch.where(mask[:, m, None], f, torch.zeros_like(f)) for m, f in enumerate(feats)],
            dim=1,
        )

    def _output(self, encoded, rows, mask):
        blocks, _ = encoded
        return self.head(masked_row_sum(blocks, rows, mask) + self.first.bias)

    def output(self, encoded, mask):
        return self._output(encoded, None, mask)

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        output = self._output(encoded, rows, mask)
        loss = row_mean(self.task(output, take(y, rows)), take(sample_weight, rows))
        return {"loss": loss, "output": output}


class _ConcatFusion(EmbeddingMixin):
    """Concatenation fusion's parameters, module and embedding, for both tasks."""

    #: Named settings offered by ``skmm benchmark`` (:func:`skmm.utils.estimator_presets`).
    _presets = {"concat-aug": ({"augment": "all"}, "The same, with augment='all'")}

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "augment": MultimodalBase._AUGMENT,
        "classifier_hidden": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        augment=None,
        classifier_hidden=256,
        *,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=3e-4,
        lr_schedule="constant",
        weight_decay=5e-4,
        batch_size=128,
        max_epochs=200,
        tol=1e-4,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
        warm_start=False,
    ):
        self.augment = augment
        self.classifier_hidden = classifier_hidden
        self.modalities = modalities
        self.encoders = encoders
        self.hidden_sizes = hidden_sizes
        self.train_noise = train_noise
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.n_threads = n_threads
        self.data_placement = data_placement
        self.random_state = random_state
        self.callbacks = callbacks
        self.verbose = verbose
        self.warm_start = warm_start

    def _build_module(self, feature_shapes, n_outputs, task):
        return ConcatFusionModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes),
            n_outputs,
            self.classifier_hidden,
            task=task,
        )

    def transform(self, X):
        """The concatenated embedding (zeros for missing modalities).

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, sum of encoder widths)
        """
        return self._forward(
            X, lambda module, batch: module.fuse(module.encode(batch)[1], batch.mask)
        )


@fill_doc
class ConcatFusionClassifier(_ConcatFusion, MultimodalClassifierBase):
    """Concatenation fusion: the "Concat Fusion" and "Augmentation" baselines.

    Each modality is encoded by its own encoder (for 2D features an MLP with
    one layer per ``hidden_sizes`` entry); the embeddings are concatenated
    and classified by an MLP with one hidden layer. A missing modality
    contributes a zero embedding (the paper zero-fills the missing input; a
    zero embedding differs from the embedding of a zero input only by a
    learned constant). With
    ``augment="all"`` this is the RAML paper's "Augmentation" baseline.

    Parameters
    ----------
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch (see
        :class:`RAMLClassifier`); ``None`` is the paper's plain "Concat Fusion".
    classifier_hidden : int, default=256
        Width of the classifier's hidden layer.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    ConcatFusionRegressor : The same baseline for continuous targets.
    LateFusionClassifier : Averages per-modality predictions.
    RAMLClassifier : Redundancy-adaptive fusion.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ConcatFusionClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 60)
    >>> X = {"a": y[:, None] + rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> clf = ConcatFusionClassifier(augment="all", max_epochs=5, random_state=0).fit(X, y)
    >>> clf.transform(X).shape
    (60, 512)
    """

    _parameter_constraints = {
        **_ConcatFusion._parameter_constraints,
        "class_weight": MultimodalClassifierBase._CLASS_WEIGHT,
    }

    def __init__(
        self,
        augment=None,
        classifier_hidden=256,
        *,
        class_weight=None,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=3e-4,
        lr_schedule="constant",
        weight_decay=5e-4,
        batch_size=128,
        max_epochs=200,
        tol=1e-4,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
        warm_start=False,
    ):
        super().__init__(
            augment=augment, classifier_hidden=classifier_hidden, modalities=modalities,
            encoders=encoders, hidden_sizes=hidden_sizes, train_noise=train_noise, lr=lr,
            lr_schedule=lr_schedule, weight_decay=weight_decay, batch_size=batch_size,
            max_epochs=max_epochs, tol=tol, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            device=device, n_threads=n_threads, data_placement=data_placement,
            random_state=random_state, callbacks=callbacks, verbose=verbose, warm_start=warm_start
        )
        self.class_weight = class_weight


@fill_doc
class ConcatFusionRegressor(_ConcatFusion, MultimodalRegressorBase):
    """Concatenation fusion for continuous targets.

    :class:`ConcatFusionClassifier` with a regression head: per-modality
    encoders, their embeddings concatenated (a missing modality contributes
    zeros) and an MLP with one hidden layer predicting the ``n_targets``
    standardized targets, trained with the squared error
    (:class:`skmm.nn.Regression`). With ``augment="all"`` it is the RAML
    paper's "Augmentation" baseline for regression.

    Parameters
    ----------
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch (see :class:`RAMLRegressor`).
    classifier_hidden : int, default=256
        Width of the head's hidden layer (named as on the classifier).
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    ConcatFusionClassifier : The same baseline for classes.
    LateFusionRegressor : Averages per-modality predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ConcatFusionRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> y = X["a"][:, 0] * X["b"][:, 0]
    >>> reg = ConcatFusionRegressor(augment="all", max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X).shape, reg.transform(X).shape
    ((60,), (60, 512))
    """


class LateFusionModule(MultimodalModule):
    """One encoder and one linear head per modality; the prediction is the mean over
    the present modalities (``task.average``): of their class probabilities for
    :class:`skmm.nn.Classification` (``task=None``), of their predicted values for
    :class:`skmm.nn.Regression`."""

    def __init__(self, encoders, n_outputs, task=None):
        super().__init__()
        self.task = Classification() if task is None else task
        self.encoders = encoders
        self.heads = nn.ModuleList(nn.Linear(e.out_features, n_outputs) for e in encoders)

    def encode(self, batch):
        feats = _encode_all(self.encoders, batch)
        return torch.stack([head(f) for head, f in zip(self.heads, feats)], 1)  # (b, M, C)

    def output(self, encoded, mask):
        return self.task.average(encoded, mask)

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        encoded, y = take(encoded, rows), take(y, rows)
        n, n_mod, n_outputs = encoded.shape
        per_modality = self.task(
            encoded.reshape(n * n_mod, n_outputs), y.repeat_interleave(n_mod, 0)
        ).view(n, n_mod)
        # Sum of the unimodal losses over the present modalities, mean over samples.
        per_row = torch.where(mask, per_modality, torch.zeros_like(per_modality)).sum(1)
        loss = row_mean(per_row, take(sample_weight, rows))
        return {"loss": loss, "output": self.output(encoded, mask)}


class _LateFusion:
    """Late fusion's parameters and module, for both tasks."""

    def __init__(
        self,
        *,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=3e-4,
        lr_schedule="constant",
        weight_decay=5e-4,
        batch_size=128,
        max_epochs=200,
        tol=1e-4,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
        warm_start=False,
    ):
        self.modalities = modalities
        self.encoders = encoders
        self.hidden_sizes = hidden_sizes
        self.train_noise = train_noise
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.n_threads = n_threads
        self.data_placement = data_placement
        self.random_state = random_state
        self.callbacks = callbacks
        self.verbose = verbose
        self.warm_start = warm_start

    def _build_module(self, feature_shapes, n_outputs, task):
        return LateFusionModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes), n_outputs, task=task
        )


@fill_doc
class LateFusionClassifier(_LateFusion, MultimodalClassifierBase):
    """Late fusion: one classifier per modality, averaged probabilities.

    Each modality has its own encoder and linear classifier, trained with the
    sum of the unimodal cross-entropies over the modalities present in each
    sample. The prediction is the mean of the present modalities' class
    probabilities, so a missing modality simply drops out. Missing-pattern
    augmentation changes nothing here (each unimodal loss only sees its own
    modality), so there is no ``augment`` parameter.

    Parameters
    ----------
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    LateFusionRegressor : The same baseline for continuous targets.
    ConcatFusionClassifier : Concatenates per-modality embeddings.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import LateFusionClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 60)
    >>> X = {"a": y[:, None] + rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> clf = LateFusionClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).sum(1)[:3]
    array([1., 1., 1.])
    """

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "class_weight": MultimodalClassifierBase._CLASS_WEIGHT,
    }

    def __init__(
        self,
        *,
        class_weight=None,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=3e-4,
        lr_schedule="constant",
        weight_decay=5e-4,
        batch_size=128,
        max_epochs=200,
        tol=1e-4,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
        warm_start=False,
    ):
        super().__init__(
            modalities=modalities, encoders=encoders, hidden_sizes=hidden_sizes,
            train_noise=train_noise, lr=lr, lr_schedule=lr_schedule, weight_decay=weight_decay,
            batch_size=batch_size, max_epochs=max_epochs, tol=tol, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            device=device, n_threads=n_threads, data_placement=data_placement,
            random_state=random_state, callbacks=callbacks, verbose=verbose, warm_start=warm_start
        )
        self.class_weight = class_weight

    def predict_modalities(self, X):
        """Each modality's own class probabilities.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        dict
            Modality name -> ndarray of shape (n_samples, n_classes); rows of
            a missing modality are NaN.
        """
        def per_modality(module, batch):
            proba = module.encode(batch).softmax(-1)
            return torch.where(batch.mask[..., None], proba, torch.full_like(proba, float("nan")))

        proba = self._forward(X, per_modality)
        return {name: proba[:, m] for m, name in enumerate(self.modalities_)}


@fill_doc
class LateFusionRegressor(_LateFusion, MultimodalRegressorBase):
    """Late fusion for continuous targets: one regressor per modality, averaged.

    Each modality has its own encoder and linear regression head, trained
    with the sum of the unimodal squared errors over the modalities present
    in each sample (:class:`skmm.nn.Regression`, on standardized targets).
    The prediction is the mean of the present modalities' predictions, so a
    missing modality simply drops out. As on :class:`LateFusionClassifier`,
    missing-pattern augmentation would change nothing, so there is no
    ``augment`` parameter.

    Parameters
    ----------
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    LateFusionClassifier : The same baseline for classes.
    ConcatFusionRegressor : Concatenates per-modality embeddings.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import LateFusionRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> y = X["a"][:, 0] + X["b"][:, 0]
    >>> X["b"][:10] = np.nan
    >>> reg = LateFusionRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> per = reg.predict_modalities(X)
    >>> bool(np.isnan(per["b"][:10]).all())  # no prediction where "b" is missing
    True
    >>> bool(np.allclose(reg.predict(X)[:10], per["a"][:10], atol=1e-5))  # "a" alone
    True
    """

    def predict_modalities(self, X):
        """Each modality's own prediction.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        dict
            Modality name -> ndarray of the shape of ``predict``'s output; rows
            of a missing modality are NaN. ``predict`` is their mean over the
            present modalities.
        """

        def per_modality(module, batch):
            out = module.encode(batch)
            return torch.where(batch.mask[..., None], out, torch.full_like(out, float("nan")))

        out = self._forward(X, per_modality)
        return {name: self._unscale(out[:, m]) for m, name in enumerate(self.modalities_)}
