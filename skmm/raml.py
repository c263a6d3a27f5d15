"""RAML: Redundancy-Adaptive Multimodal Learning.

The method of "Redundancy-Adaptive Multimodal Learning for Imperfect Data"
(Section III and Algorithm 1). Equation numbers in comments refer to that paper.
"""

from numbers import Integral, Real

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

__all__ = ["RAMLClassifier", "RAMLModule", "RAMLRegressor"]


class RAMLModule(MultimodalModule):
    """RAML's network: variational unimodal encoders, element-wise
    precision-weighted fusion and one modality-shared linear predictor.

    Parameters
    ----------
    encoders : torch.nn.ModuleList
        One encoder ``f_m`` per modality.
    latent_dim : int
        ``D``, the dimension of each unimodal Gaussian.
    n_outputs : int
        Number of classes (logits) or of targets.
    lambda1, lambda2 : float
        Weights of ``L^U`` and ``L^D`` in Eq. 6.
    sigma_min : float, default=1e-3
        Floor of ``sigma_m``: ``sigma_m = softplus(g^sigma_m(.)) + sigma_min``.
    task : torch.nn.Module, default=None
        The per-row loss of ``L^U`` and ``L^M``: :class:`skmm.nn.Classification`
        (the paper's cross-entropy; ``None``) or :class:`skmm.nn.Regression`.
    """

    loss_terms = ("loss_M", "loss_U", "loss_D")

    def __init__(
        self, encoders, latent_dim, n_outputs, lambda1, lambda2, sigma_min=1e-3, task=None
    ):
        super().__init__()
        self.task = Classification() if task is None else task
        self.encoders = encoders
        # Eq. 1: two heads g^mu_m, g^sigma_m on top of each encoder f_m.
        self.mu_heads = nn.ModuleList(nn.Linear(e.out_features, latent_dim) for e in encoders)
        self.sigma_heads = nn.ModuleList(nn.Linear(e.out_features, latent_dim) for e in encoders)
        # The modality-shared predictor f of Eqs. 2 and 5 (linear, as in Eq. 7).
        self.predictor = nn.Linear(latent_dim, n_outputs)
        self.lambda1, self.lambda2, self.sigma_min = lambda1, lambda2, sigma_min

    def encode(self, batch):
        mus, sigmas = [], []
        for m, (enc, x) in enumerate(zip(self.encoders, batch.xs)):
            feat = enc(x, batch.lengths[m])
            mus.append(self.mu_heads[m](feat))
            sigmas.append(F.softplus(self.sigma_heads[m](feat)) + self.sigma_min)
        return torch.stack(mus, 1), torch.stack(sigmas, 1), batch.mask  # (n, M, D) x2

    @staticmethod
    def weights(sigma, mask):
        """Eq. 4: w_m = delta_m (sigma / sigma_m)^2, 1/sigma^2 = sum_m delta_m / sigma_m^2.

        Computed as a softmax of log-precisions over the present modalities:
        non-negative, summing to one per element, exactly zero where missing.
        """
        log_precision = -2.0 * torch.log(sigma)
        return log_precision.masked_fill(~mask[..., None], float("-inf")).softmax(1)

    @staticmethod
    def fuse(mu, sigma, batch_mask, rows=None, mask=None):
        """Eq. 4: h = sum_m w_m * mu_m, for any rows and presence patterns at once.

        ``h = sum_m delta_m p_m mu_m / sum_m delta_m p_m`` with precisions
        ``p_m = sigma_m^-2`` (the same as Eq. 4's weights). The precisions are
        scaled per element by the largest present one (the ratio is unchanged),
        and the sums over the modalities of each (sample, pattern) row are one
        sparse-dense product (:func:`skmm.nn.masked_row_sum`), so that the
        ``2**M - 1`` augmented patterns cost little more than one. Missing
        modalities contribute exactly 0.

        Parameters
        ----------
        mu, sigma : Tensor of shape (n, M, D)
            Unimodal means and standard deviations of a batch.
        batch_mask : bool Tensor of shape (n, M)
            Modalities present in the batch.
        rows : long Tensor of shape (R,), default=None
            Batch row of each output row (``None``: one row per sample).
        mask : bool Tensor of shape (R, M), default=None
            Presence pattern of each output row, a subset of its sample's
            ``batch_mask`` (``None``: ``batch_mask``).

        Returns
        -------
        Tensor of shape (R, D)
        """
        dim = mu.shape[2]
        if mask is None:
            mask = batch_mask
        log_p = -2.0 * torch.log(sigma)
        top = log_p.masked_fill(~batch_mask[..., None], float("-inf")).amax(1, keepdim=True)
        present = batch_mask[..., None]
        p = torch.where(present, (log_p - top.detach()).exp(), torch.zeros_like(log_p))
        num_den = masked_row_sum(torch.cat([p * mu, p], -1), rows, mask)
        return num_den[:, :dim] / num_den[:, dim:]

    def output(self, encoded, mask):
        mu, sigma, _ = encoded
        return self.predictor(self.fuse(mu, sigma, mask))  # prediction uses the means only

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        mu, sigma, batch_mask = encoded
        n, n_mod, _ = mu.shape
        present = batch_mask.to(mu.dtype)
        # Eq. 2, L^U: shared predictor on h_m = mu_m + rho * sigma_m, rho ~ N(0, 1);
        # counted only where modality m is present (never on a zero-filled input).
        h_sampled = mu + torch.randn_like(mu) * sigma
        ce_uni = self.task(
            self.predictor(h_sampled).reshape(n * n_mod, -1), y.repeat_interleave(n_mod, 0)
        ).view(n, n_mod)
        loss_u = row_mean((ce_uni * present).sum(1), sample_weight)
        # Eq. 3, L^D: || (sigma/sigma_m)^2 * mu_m ||_1 over the present modalities,
        # averaged over the D elements and the samples (not summed; see the docs).
        w_all = self.weights(sigma, batch_mask)
        l1 = torch.where(w_all > 0, (w_all * mu).abs(), torch.zeros_like(mu)).sum(1)
        loss_d = row_mean(l1, sample_weight)
        # Eq. 5, L^M: shared predictor on the fused h, for every augmented pattern.
        output = self.predictor(self.fuse(mu, sigma, batch_mask, rows, mask))
        loss_m = row_mean(self.task(output, take(y, rows)), take(sample_weight, rows))
        # Eq. 6
        loss = loss_m + self.lambda1 * loss_u + self.lambda2 * loss_d
        return {
            "loss": loss, "output": output, "loss_M": loss_m, "loss_U": loss_u, "loss_D": loss_d
        }


class _RAML(EmbeddingMixin):
    """RAML's parameters, module and inspection methods, shared by its classifier
    and its regressor (each adds its task layer)."""

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "augment": MultimodalBase._AUGMENT,
    }

    def __init__(
        self,
        lambda1=1.0,
        lambda2=0.2,
        latent_dim=128,
        augment="all",
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
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.latent_dim = latent_dim
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
        return RAMLModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes),
            self.latent_dim,
            n_outputs,
            self.lambda1,
            self.lambda2,
            task=task,
        )

    def transform(self, X):
        """The fused embedding ``h`` of Eq. 4 (means only).

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._forward(
            X, lambda module, batch: module.fuse(*module.encode(batch))
        )

    def fusion_weights(self, X):
        """The element-wise fusion weights ``w_m`` of Eq. 4, per modality.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        dict
            Modality name -> ndarray of shape (n_samples, latent_dim). The
            weights are non-negative, sum to one over the present modalities
            for every element, and are exactly zero for a missing modality.
            The paper's Fig. 5 heatmaps show these.
        """

        def weights(module, batch):
            _, sigma, mask = module.encode(batch)
            return module.weights(sigma, mask)

        w = self._forward(X, weights)
        return {name: w[:, m] for m, name in enumerate(self.modalities_)}


@fill_doc
class RAMLClassifier(_RAML, MultimodalClassifierBase):
    """Redundancy-Adaptive Multimodal Learning (RAML) classifier.

    Each modality ``m`` is encoded into a Gaussian ``N(mu_m, sigma_m^2)``
    (Eq. 1). A modality-shared predictor ``f`` is trained on samples of each
    unimodal Gaussian (``L^U``, Eq. 2), an l1 penalty sparsifies the
    precision-weighted means (``L^D``, Eq. 3), and the prediction is ``f`` of
    the element-wise precision-weighted average of the present modalities'
    means (Eqs. 4-5). The objective is ``L^M + lambda1 L^U + lambda2 L^D``
    (Eq. 6). Training augments each batch with missing-modality patterns.

    Choices where the paper is silent or ambiguous (each tested):

    * ``sigma_m = softplus(.) + 1e-3``: positive and bounded away from zero.
    * ``L^U`` and ``L^D`` count only the modalities present in a sample
      (the paper zero-fills missing inputs, so their unimodal loss would
      train the encoder on zeros); ``L^D`` uses ``1/sigma^2 = sum over present
      m of 1/sigma_m^2``, the same weights as the fusion. Both are computed
      once per sample, not per augmented pattern.
    * ``L^D`` is a *mean* over the D elements and the samples, not the sum
      Eq. 3 writes: with the sum, ``lambda2 >= 0.1`` collapses training to
      chance on the UCI handwritten digits, while the paper studies
      ``lambda2`` from 0.2 to 1.6.
    * ``L^U`` and ``L^M`` are means over samples; ``L^U`` sums over modalities.
    * The shared predictor ``f`` is linear, as in the paper's Eq. 7 analysis.
    * ``augment="all"`` (default) trains every sample under all ``2**M - 1``
      presence patterns ("we augment full-modality samples with all possible
      missing patterns"); a modality already missing stays missing. The
      encoders run once per batch; only fusion and the predictor see the
      ``2**M - 1`` copies.

    Parameters
    ----------
    lambda1 : float, default=1.0
        ``lambda1``, the weight of the unimodal loss ``L^U``. ``L^U`` shrinks
        ``sigma_m`` most on inputs the predictor is unsure about, so it gives
        noisy inputs *more* fusion weight; for noisy test data,
        ``lambda1=0`` with ``train_noise`` was measured more robust (see the
        user guide, "What to expect").
    lambda2 : float, default=0.2
        ``lambda2``, the weight of the sparsity loss ``L^D``.
    latent_dim : int, default=128
        ``D``, the dimension of the unimodal Gaussians (paper: 128).
    augment : {"all", "random"} or None, default="all"
        Missing-pattern augmentation per batch: every pattern for every
        sample (paper), one random pattern per sample, or none.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    RAMLRegressor : The same method for continuous targets.
    ConcatFusionClassifier : The paper's concatenation baseline.
    RedCoreClassifier : Cross-modal imputation for imbalanced missing rates.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import RAMLClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 60)
    >>> X = {"a": y[:, None] + rng.randn(60, 3), "b": rng.randn(60, 2)}
    >>> X["b"][:10] = np.nan  # modality "b" missing for the first ten samples
    >>> clf = RAMLClassifier(max_epochs=5, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (60, 2)
    >>> float(clf.fusion_weights(X)["b"][:10].max())  # a missing modality has zero weight
    0.0
    """

    _parameter_constraints = {
        **_RAML._parameter_constraints,
        "class_weight": MultimodalClassifierBase._CLASS_WEIGHT,
    }

    def __init__(
        self,
        lambda1=1.0,
        lambda2=0.2,
        latent_dim=128,
        augment="all",
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
            lambda1=lambda1, lambda2=lambda2, latent_dim=latent_dim, augment=augment,
            modalities=modalities, encoders=encoders, hidden_sizes=hidden_sizes,
            train_noise=train_noise, lr=lr, lr_schedule=lr_schedule, weight_decay=weight_decay,
            batch_size=batch_size, max_epochs=max_epochs, tol=tol, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            device=device, n_threads=n_threads, data_placement=data_placement,
            random_state=random_state, callbacks=callbacks, verbose=verbose, warm_start=warm_start
        )
        self.class_weight = class_weight


@fill_doc
class RAMLRegressor(_RAML, MultimodalRegressorBase):
    """Redundancy-Adaptive Multimodal Learning (RAML) regressor.

    :class:`RAMLClassifier`'s method for continuous targets: the same
    variational unimodal encoders (Eq. 1), the same precision-weighted fusion
    (Eq. 4) and the same objective ``L^M + lambda1 L^U + lambda2 L^D``
    (Eq. 6), with the modality-shared predictor ``f`` a linear *regression*
    head (``n_targets`` outputs) and the cross-entropy of ``L^U`` (Eq. 2) and
    ``L^M`` (Eq. 5) replaced by the squared error, averaged over the targets
    (:class:`skmm.nn.Regression`). The targets are standardized inside
    ``fit`` (see :class:`~skmm.base.MultimodalRegressorBase`), so the
    squared error starts near 1 whatever their units.

    No term of the paper is specific to classes: ``L^U`` and ``L^M`` score
    the shared predictor's output with the task's loss, and ``L^D`` acts on
    the latent means only. The choices listed in :class:`RAMLClassifier`
    hold here too. Early stopping holds out a
    shuffled (not stratified) split and records its R² as ``valid_r2``.

    Parameters
    ----------
    lambda1 : float, default=1.0
        ``lambda1``, the weight of the unimodal loss ``L^U``.
    lambda2 : float, default=0.2
        ``lambda2``, the weight of the sparsity loss ``L^D``.
    latent_dim : int, default=128
        ``D``, the dimension of the unimodal Gaussians (paper: 128).
    augment : {"all", "random"} or None, default="all"
        Missing-pattern augmentation per batch: every pattern for every
        sample (paper), one random pattern per sample, or none.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    RAMLClassifier : The same method for classes.
    TrustedFusionRegressor : Evidential fusion with predictive uncertainty.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import RAMLRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(80, 3), "b": rng.randn(80, 2)}
    >>> y = 10 * X["a"][:, 0] + X["b"][:, 1] + 50  # any scale: y is standardized
    >>> X["b"][:10] = np.nan  # modality "b" missing for the first ten samples
    >>> reg = RAMLRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (80,)
    >>> float(reg.fusion_weights(X)["b"][:10].max())  # a missing modality has zero weight
    0.0
    """
