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

    def forward(self, output, target):
        """Per-row cross-entropy, shape ``(n,)``."""
        return F.cross_entropy(output, target, reduction="none")

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

    def forward(self, output, target):
        """Per-row squared error, averaged over the targets: shape ``(n,)``."""
        return (output - target).pow(2).mean(-1)

    def average(self, outputs, mask):
        """The mean of the present modalities' predictions, ``(n, n_targets)``."""
        return _present_mean(outputs, mask)
