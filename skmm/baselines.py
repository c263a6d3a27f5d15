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
    MultimodalClassifierBase,
    MultimodalModule,
    build_encoders,
    fill_doc,
    take,
)
from skmm.nn.functional import masked_row_sum

__all__ = ["ConcatFusionClassifier", "LateFusionClassifier"]


def _encode_all(encoders, batch):
    """Run each modality's encoder; returns a list of (b, width) tensors."""
    return [enc(x, n) for enc, x, n in zip(encoders, batch.xs, batch.lengths)]


class ConcatFusionModule(MultimodalModule):
    """Per-modality encoders, concatenation, MLP classifier.

    A missing modality contributes a zero embedding (``torch.where``, so its
    content cannot leak). The classifier's first layer acts on the
    concatenation; since a linear map of a concatenation is the sum of its
    column blocks applied to each part, each modality's block is applied once
    per sample and the blocks of the present modalities are summed per
    augmented row (:func:`skmm.nn.masked_row_sum`): ``2**M - 1`` patterns cost
    little more than one.
    """

    def __init__(self, encoders, n_classes, classifier_hidden):
        super().__init__()
        self.encoders = encoders
        widths = [e.out_features for e in encoders]
        self.bounds = [0, *torch.tensor(widths).cumsum(0).tolist()]
        self.first = nn.Linear(sum(widths), classifier_hidden)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(classifier_hidden, n_classes))

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

    def _logits(self, encoded, rows, mask):
        blocks, _ = encoded
        return self.head(masked_row_sum(blocks, rows, mask) + self.first.bias)

    def logits(self, encoded, mask):
        return self._logits(encoded, None, mask)

    def losses(self, encoded, y, rows, mask):
        logits = self._logits(encoded, rows, mask)
        loss = F.cross_entropy(logits, take(y, rows))
        return {"loss": loss, "logits": logits}


@fill_doc
class ConcatFusionClassifier(EmbeddingMixin, MultimodalClassifierBase):
    """Concatenation fusion: the "Concat Fusion" and "Augmentation" baselines.

    Each modality is encoded by its own encoder (a two-layer MLP for 2D
    features); the embeddings are concatenated and classified by an MLP with
    one hidden layer. A missing modality contributes a zero embedding (the
    paper zero-fills the missing input; a zero embedding differs from the
    embedding of a zero input only by a learned constant). With
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
        **MultimodalClassifierBase._parameter_constraints,
        "augment": MultimodalClassifierBase._AUGMENT,
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
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
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

    def _build_module(self, feature_shapes, n_classes):
        return ConcatFusionModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes),
            n_classes,
            self.classifier_hidden,
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


class LateFusionModule(MultimodalModule):
    """One encoder and one linear classifier per modality; the prediction is the
    mean of the present modalities' class probabilities."""

    def __init__(self, encoders, n_classes):
        super().__init__()
        self.encoders = encoders
        self.heads = nn.ModuleList(nn.Linear(e.out_features, n_classes) for e in encoders)

    def encode(self, batch):
        feats = _encode_all(self.encoders, batch)
        return torch.stack([head(f) for head, f in zip(self.heads, feats)], 1)  # (b, M, C)

    def probabilities(self, encoded, mask):
        """Mean over present modalities of each modality's softmax, (b, C)."""
        proba = encoded.softmax(-1)
        proba = torch.where(mask[..., None], proba, torch.zeros_like(proba))
        return proba.sum(1) / mask.sum(1, keepdim=True)

    def logits(self, encoded, mask):
        # log of a distribution is a valid logit vector: softmax(log p) == p.
        return self.probabilities(encoded, mask).clamp_min(1e-12).log()

    def losses(self, encoded, y, rows, mask):
        encoded, y = take(encoded, rows), take(y, rows)
        n, n_mod, n_classes = encoded.shape
        ce = F.cross_entropy(
            encoded.reshape(n * n_mod, n_classes), y.repeat_interleave(n_mod), reduction="none"
        ).view(n, n_mod)
        # Sum of the unimodal losses over the present modalities, mean over samples.
        loss = torch.where(mask, ce, torch.zeros_like(ce)).sum(1).mean()
        return {"loss": loss, "logits": self.logits(encoded, mask)}


@fill_doc
class LateFusionClassifier(MultimodalClassifierBase):
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
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
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

    def _build_module(self, feature_shapes, n_classes):
        return LateFusionModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes), n_classes
        )

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
