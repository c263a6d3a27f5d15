"""The module protocol: what a method's PyTorch module provides to the estimators.

A method module subclasses :class:`MultimodalModule`: :meth:`~MultimodalModule.encode`
runs the per-modality encoders once per batch, :meth:`~MultimodalModule.losses`
and :meth:`~MultimodalModule.output` fuse and predict on any rows and presence
mask derived from it (missing-pattern augmentation costs one encoding).
:func:`build_encoders` makes the encoders from an estimator's ``encoders`` and
``hidden_sizes``; :func:`take` selects augmented rows.
"""

from torch import nn

from skmm.nn.encoders import make_encoder

__all__ = ["MultimodalModule", "build_encoders", "take"]


def take(tensor, rows):
    """``tensor[rows]`` along the batch axis; ``rows=None`` is the identity, and so is
    ``tensor=None`` (no sample weights: ``take(sample_weight, rows)``)."""
    return tensor if rows is None or tensor is None else tensor.index_select(0, rows)


class MultimodalModule(nn.Module):
    """Base of the method modules.

    A method module splits its computation in two so that missing-pattern
    augmentation costs little: :meth:`encode` runs the per-modality encoders
    once per batch, and :meth:`losses` / :meth:`output` run the cheap fusion
    and prediction on any rows and presence mask derived from it.

    A module is task-neutral: it predicts ``n_outputs`` values per row and
    scores them with its ``task`` (:class:`skmm.nn.Classification`: class
    logits and the cross-entropy; :class:`skmm.nn.Regression`: standardized
    target values and the squared error), which the estimator's task layer
    passes to its constructor.

    Attributes
    ----------
    loss_terms : tuple of str
        Names of the loss terms :meth:`losses` returns besides ``"loss"``; each
        is recorded in the history under its own name, per batch and as the
        epoch mean (e.g. ``clf.history_[:, "loss_U"]``).
    """

    loss_terms = ()

    def encode(self, batch):
        """Per-modality encodings of a batch (any structure :meth:`losses` takes)."""
        raise NotImplementedError

    def output(self, encoded, mask):
        """The prediction from encodings and a presence mask (evaluation): class
        logits, or standardized target values; ``(b, n_outputs)``."""
        raise NotImplementedError

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        """Training loss terms.

        Each term that is a mean over rows (samples, or augmented rows) is a
        :func:`~skmm.nn.row_mean` of its per-row values with the rows' weights:
        ``row_mean(per_sample, sample_weight)`` for a term computed once per
        sample, ``row_mean(per_row, take(sample_weight, rows))`` for one
        computed per augmented row (every copy of a sample carries its weight).
        That covers the label terms and the per-row regularizers and
        reconstruction terms alike: all that a row contributes is weighted.
        With ``sample_weight=None`` a module computes its unweighted terms as
        it would without the argument (``row_mean(values, None)`` is
        ``values.mean()``).

        Parameters
        ----------
        encoded : object
            Output of :meth:`encode` for the batch.
        y : Tensor of shape (b,) or (b, n_targets)
            Targets of the batch: encoded labels (long) or standardized
            values (float).
        rows : long Tensor or None
            Batch row of each (augmented) training row; ``None`` for identity.
            ``take(y, rows)`` gives the target of each training row.
        mask : bool Tensor of shape (n_rows, M)
            Presence mask of each training row, after augmentation.
        sample_weight : float Tensor of shape (b,) or None
            Weight of each sample of the batch (the estimator's
            ``sample_weight`` times a classifier's ``class_weight``, rescaled
            to a mean of 1 over the rows the epoch iterates); ``None`` when
            every sample weighs the same, which the estimators pass as no
            argument at all (a module without the parameter still trains
            unweighted).

        Returns
        -------
        dict
            ``"loss"`` (what is differentiated), ``"output"`` (the prediction
            for each row, as :meth:`output` gives it) and one scalar per name
            in ``loss_terms``.
            Optionally ``"objective"``: the quantity recorded as
            ``train_loss``/``valid_loss`` and monitored for convergence, when
            it differs from ``"loss"`` (a term with a stop-gradient target is
            not minimized as a function of the parameters, so it can rise
            while training improves). Any other entries reach the
            ``on_batch_end`` callbacks.
        """
        raise NotImplementedError

    def forward(self, batch):
        """The prediction for a batch: :meth:`output` of :meth:`encode` under the
        batch's presence mask."""
        return self.output(self.encode(batch), batch.mask)


def build_encoders(encoders, feature_shapes, hidden_sizes):
    """One encoder per modality from the ``encoders`` parameter."""
    encoders = encoders or {}
    unknown = [k for k in encoders if k not in feature_shapes]
    if unknown:
        raise ValueError(
            f"`encoders` names modalities {unknown} that are not in the data "
            f"(modalities: {list(feature_shapes)})."
        )
    return nn.ModuleList(
        make_encoder(encoders.get(name), shape, hidden_sizes, name=name)
        for name, shape in feature_shapes.items()
    )
