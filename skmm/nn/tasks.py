"""What a module's output means: the task's per-row loss and its mean over modalities.

A method module is task-neutral: it produces one output vector per row
(``n_outputs`` wide) and scores it with its ``task``, a stateless
:class:`torch.nn.Module` that the estimator's task layer chooses and that is
also its skorch net's criterion.

* :class:`Classification`: outputs are class logits, targets class indices;
  the loss is the cross-entropy.
* :class:`Regression`: outputs are (standardized) target values, targets a
  float ``(n, n_targets)`` tensor; the loss is the squared error, the
  negative log-likelihood of a unit-variance Gaussian up to a factor 1/2 and
  a constant, which is what replaces the cross-entropy (a categorical
  likelihood) of the classification papers.

Each task also scores predictions over an epoch (``score_name``: accuracy or
R², from sums that batches add up, :meth:`~Classification.score_sums` and
:meth:`~Classification.score`; weighted by the rows' sample weights when there
are some), which the training records and its stopping rule reads.
"""

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Classification", "Regression"]


def _present_mean(values, mask):
    """Mean over the present modalities (dim 1) of ``values`` ``(n, M, K)``."""
    values = torch.where(mask[..., None], values, torch.zeros_like(values))
    return values.sum(1) / mask.sum(1, keepdim=True).to(values.dtype)


class Classification(nn.Module):
    """Class logits against class indices.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import Classification
    >>> task = Classification()
    >>> task(torch.zeros(2, 4), torch.tensor([0, 3])).tolist()  # ln 4 per row
    [1.3862943649291992, 1.3862943649291992]
    """

    #: The score's name in the history (``train_acc``, ``valid_acc``).
    score_name = "acc"

    def forward(self, output, target):
        """Per-row cross-entropy, shape ``(n,)``."""
        return F.cross_entropy(output, target, reduction="none")

    def score_sums(self, output, target, sample_weight=None):
        """What a batch adds to the epoch's accuracy: ``[correct, rows]`` (float64);
        with ``sample_weight``, the weights of the correct rows and of all the rows."""
        if sample_weight is not None:
            weight = sample_weight.double()
            correct = torch.where(output.argmax(1) == target, weight, torch.zeros_like(weight))
            return torch.stack([correct.sum(), weight.sum()])
        correct = (output.argmax(1) == target).sum()
        return torch.stack([correct, torch.tensor(len(target), device=target.device)]).double()

    def score(self, sums):
        """The accuracy from the summed :meth:`score_sums`."""
        return float(sums[0] / sums[1])

    def average(self, outputs, mask):
        """The logits of the mean class probabilities of the present modalities.

        ``outputs`` ``(n, M, K)`` per-modality logits, ``mask`` ``(n, M)``;
        returns ``(n, K)`` (the log of a distribution is a logit vector:
        ``softmax(log p) == p``).
        """
        return _present_mean(outputs.softmax(-1), mask).clamp_min(1e-12).log()


class Regression(nn.Module):
    """Target values against targets: the squared error.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import Regression
    >>> task = Regression()
    >>> output = torch.tensor([[0.0, 1.0], [2.0, 2.0]])
    >>> task(output, torch.tensor([[1.0, 1.0], [0.0, 2.0]])).tolist()
    [0.5, 2.0]
    """

    #: The score's name in the history (``train_r2``, ``valid_r2``).
    score_name = "r2"

    def forward(self, output, target):
        """Per-row squared error, averaged over the targets: shape ``(n,)``."""
        return (output - target).pow(2).mean(-1)

    def score_sums(self, output, target, sample_weight=None):
        """What a batch adds to the epoch's R²: per target, the squared error, the sum
        and the sum of squares of the targets, and the rows; ``(4, n_targets)`` float64.
        With ``sample_weight``, each row's terms times its weight and the weights' sum
        (the weighted R² of :func:`sklearn.metrics.r2_score`)."""
        y, pred = target.double(), output.detach().double()
        if sample_weight is not None:
            w = sample_weight.double()[:, None]
            rows = w.sum(0).expand(y.shape[1])
            return torch.stack(
                [(w * (y - pred).pow(2)).sum(0), (w * y).sum(0), (w * y.pow(2)).sum(0), rows]
            )
        rows = torch.full_like(y[0], float(len(y)))
        return torch.stack([(y - pred).pow(2).sum(0), y.sum(0), y.pow(2).sum(0), rows])

    def score(self, sums):
        """The R² of the whole epoch (not a mean of batch values) from the summed
        :meth:`score_sums`, averaged over the targets as
        :func:`sklearn.metrics.r2_score` does (0 for a constant target)."""
        sse, total, squares, rows = sums
        sst = squares - total.pow(2) / rows
        r2 = torch.where(sst > 0, 1.0 - sse / sst.clamp_min(1e-300), torch.zeros_like(sst))
        return float(r2.mean())

    def average(self, outputs, mask):
        """The mean of the present modalities' predictions, ``(n, n_targets)``."""
        return _present_mean(outputs, mask)
