"""Mean fusion: the average of the present modalities' embeddings.

The example of "Writing a method": a complete skmm method in one file, for
classes and for continuous targets. Saved as ``skmm/mean_fusion.py`` it is
found by :func:`skmm.utils.all_estimators`, checked by ``tests/test_common.py``
and offered by ``skmm benchmark``.
"""

from numbers import Integral

import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from skmm.base import (
    MultimodalBase,
    MultimodalClassifierBase,
    MultimodalRegressorBase,
    fill_doc,
)
from skmm.nn import masked_row_sum, row_mean
from skmm.nn.module import MultimodalModule, build_encoders, take

__all__ = ["MeanFusionClassifier", "MeanFusionRegressor"]


class MeanFusionModule(MultimodalModule):
    """Encoders, one projection per modality to a shared width, mean over the present ones."""

    def __init__(self, encoders, width, n_outputs, task):
        super().__init__()
        self.encoders = encoders
        self.projections = nn.ModuleList(nn.Linear(e.out_features, width) for e in encoders)
        self.head = nn.Linear(width, n_outputs)  # class logits or target values
        self.task = task  # its per-row loss: cross-entropy or squared error

    def encode(self, batch):
        # once per batch: the per-modality embeddings, (b, M, width)
        return torch.stack(
            [
                proj(enc(x, n))
                for enc, proj, x, n in zip(
                    self.encoders, self.projections, batch.xs, batch.lengths
                )
            ],
            dim=1,
        )

    def _output(self, encoded, rows, mask):
        # h = sum_m delta_m e_m / sum_m delta_m, for any rows and presence patterns
        total = masked_row_sum(encoded, rows, mask)
        return self.head(total / mask.sum(1, keepdim=True).to(total.dtype))

    def output(self, encoded, mask):
        return self._output(encoded, None, mask)

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        output = self._output(encoded, rows, mask)
        # the mean over the (augmented) rows of the per-row loss, each row's times the
        # weight of its sample (``None``: unweighted, ``.mean()``)
        loss = row_mean(self.task(output, take(y, rows)), take(sample_weight, rows))
        return {"loss": loss, "output": output}


class _MeanFusion:
    """The method's parameters and module, for both tasks."""

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "width": [Interval(Integral, 1, None, closed="left")],
        "augment": MultimodalBase._AUGMENT,
    }

    def __init__(
        self,
        width=64,
        augment=None,
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
        self.width = width
        self.augment = augment
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
        encoders = build_encoders(self.encoders, feature_shapes, self.hidden_sizes)
        return MeanFusionModule(encoders, self.width, n_outputs, task)


@fill_doc
class MeanFusionClassifier(_MeanFusion, MultimodalClassifierBase):
    """Mean fusion: a linear classifier on the mean of the present modalities' embeddings.

    Parameters
    ----------
    width : int, default=64
        Width of the shared embedding space.
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch.
    {common}

    Attributes
    ----------
    {attributes}

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 60)
    >>> X = {"a": y[:, None] + rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> MeanFusionClassifier(max_epochs=5, random_state=0).fit(X, y).predict(X).shape
    (60,)
    """

    _parameter_constraints = {
        **_MeanFusion._parameter_constraints,
        "class_weight": MultimodalClassifierBase._CLASS_WEIGHT,
    }

    # The classifier's own signature: the shared ones plus class_weight, which only a
    # classifier has (scikit-learn reads the parameters from the signature).
    def __init__(
        self,
        width=64,
        augment=None,
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
            width=width, augment=augment, modalities=modalities, encoders=encoders,
            hidden_sizes=hidden_sizes, train_noise=train_noise, lr=lr, lr_schedule=lr_schedule,
            weight_decay=weight_decay, batch_size=batch_size, max_epochs=max_epochs, tol=tol,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, device=device, n_threads=n_threads,
            data_placement=data_placement, random_state=random_state, callbacks=callbacks,
            verbose=verbose, warm_start=warm_start
        )
        self.class_weight = class_weight


@fill_doc
class MeanFusionRegressor(_MeanFusion, MultimodalRegressorBase):
    """Mean fusion: a linear regressor on the mean of the present modalities' embeddings.

    Parameters
    ----------
    width : int, default=64
        Width of the shared embedding space.
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch.
    {common}

    Attributes
    ----------
    {attributes}

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> y = X["a"][:, 0] - X["b"][:, 1]
    >>> MeanFusionRegressor(max_epochs=5, random_state=0).fit(X, y).predict(X).shape
    (60,)
    """
