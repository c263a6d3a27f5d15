"""RedCore: Relative advantage aware Cross-modal representation learning.

The method of "RedCore: Relative Advantage Aware Cross-modal Representation
Learning for Missing Modalities with Imbalanced Missing Rates" (AAAI 2024):
*Core*, variational self-modal encoders plus cross-modal encoders that impute
the representation of a missing modality from the others (Section 3, Eqs. 1-3
and the imputation loss), and *Red*, the relative-advantage-aware regulation
of the imputation-loss weights ``eta`` (Eqs. 4-9, Algorithm 1). Equation
numbers in comments refer to that paper.
"""

import numbers
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from skorch.callbacks import Callback
from torch import nn

from skmm.base import (
    EmbeddingMixin,
    MultimodalBase,
    MultimodalClassifierBase,
    MultimodalRegressorBase,
    check_layer_sizes,
    fill_doc,
)
from skmm.nn.encoders import MLPEncoder
from skmm.nn.functional import row_mean
from skmm.nn.module import MultimodalModule, build_encoders, take
from skmm.nn.tasks import Classification

__all__ = [
    "RedCoreClassifier",
    "RedCoreModule",
    "RedCoreRegressor",
    "RegulateEta",
    "project_eta",
]


# ---------------------------------------------------------------------------
# Red: the projection of Eq. 8 and the relative advantage of Eqs. 4-5
# ---------------------------------------------------------------------------


def _check_eta_constraints(n_modalities, xi1, xi2, p):
    for name, value in (("xi1", xi1), ("xi2", xi2), ("norm_p", p)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite real number, got {value!r}.")
    if xi1 < 0 or xi2 <= 0:
        raise ValueError(
            f"xi1 must be non-negative and xi2 positive, got xi1={xi1!r} and xi2={xi2!r}."
        )
    if p < 1:
        raise ValueError(f"norm_p must be >= 1, got {p!r}.")
    floor_norm = xi1 * n_modalities ** (1.0 / p)
    if floor_norm > xi2 * (1 + 1e-12):
        raise ValueError(
            f"The constraints eta >= xi1 and ||eta||_p = xi2 are infeasible for "
            f"{n_modalities} modalities: xi1 * M**(1/p) = {floor_norm:.6g} > xi2 = {xi2!r}. "
            "Lower xi1 or raise xi2."
        )


def project_eta(v, xi1, xi2, p=2):
    """Map ``v`` onto ``Gamma_1 = {eta >= xi1, ||eta||_p = xi2}`` (Eq. 8).

    The result is ``eta_i = max(t * v_i, xi1)`` with the scale ``t > 0`` that
    gives ``||eta||_p = xi2``, found exactly in at most ``M`` passes: coordinates
    that fall below ``xi1`` are fixed there and the free ones are rescaled to
    the remaining norm budget, until no free coordinate falls below ``xi1``.
    Both constraints hold up to float rounding.

    For ``p = 2`` (the paper's setting) this is the exact Euclidean projection
    onto the non-convex set ``Gamma_1``: on the sphere ``||eta - v||^2`` is
    ``const - 2 v.eta``, and the KKT conditions of maximizing ``v.eta`` give
    ``eta_i = max(t v_i, xi1)``. For other ``p`` it is the same scale-and-clip
    retraction onto ``Gamma_1``, not the Euclidean projection. When no
    coordinate of ``v`` is positive, every coordinate but the largest one
    (the first, on ties) is set to ``xi1`` and that one takes the remaining
    norm (for ``p = 2``, again the Euclidean projection).

    Parameters
    ----------
    v : array-like or torch.Tensor of shape (M,)
        The point to project (``eta - alpha1 * RA`` in Eq. 8).
    xi1 : float
        ``xi_1 >= 0``, the floor of every coordinate (constraint 6b); 0 puts no floor.
    xi2 : float
        ``xi_2``, the required ``l_p`` norm (constraint 6c).
    p : float, default=2
        ``p >= 1``, the norm.

    Returns
    -------
    ndarray or torch.Tensor of shape (M,)
        float64 ndarray for array input; a tensor of the input's dtype and
        device for tensor input.

    Raises
    ------
    ValueError
        If the set is empty (``xi1 * M**(1/p) > xi2``), a parameter is out of
        range, or ``v`` is not a finite 1D vector.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.redcore import project_eta
    >>> eta = project_eta([0.2, 0.05, -0.1], xi1=0.015, xi2=0.15)
    >>> eta.round(4).tolist()
    [0.1448, 0.0362, 0.015]
    >>> round(float(np.linalg.norm(eta)), 10)
    0.15
    """
    tensor = isinstance(v, torch.Tensor)
    arr = np.asarray(v.detach().cpu().double().numpy() if tensor else v, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"v must be a non-empty 1D vector, got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError("v must be finite.")
    n = arr.size
    _check_eta_constraints(n, xi1, xi2, p)
    xi1, xi2, p = float(xi1), float(xi2), float(p)
    out = np.full(n, xi1)
    budget = xi2**p - n * xi1**p  # norm_p^p that the free coordinates add above the floor
    if budget <= 0 or n == 1:
        out[:] = xi2 if n == 1 else xi1
    elif arr.max() <= 0:
        j = int(arr.argmax())
        out[j] = (xi2**p - (n - 1) * xi1**p) ** (1.0 / p)
    else:
        free = arr > 0  # t * v_i <= 0 < xi1 for every t > 0: fixed from the start
        # scale-free: the largest free coordinate is 1 (no underflow); the fixed
        # ones are zeroed first so that a tiny maximum cannot overflow them
        arr = np.where(free, arr, 0.0) / arr.max()
        while free.any():
            remaining = xi2**p - (n - free.sum()) * xi1**p
            scale = (remaining / np.sum(arr[free] ** p)) ** (1.0 / p)
            low = free & (scale * arr < xi1)
            if not low.any():
                break
            free &= ~low  # the scale only shrinks: these stay fixed at xi1
        out[free] = np.maximum(scale * arr[free], xi1)
    if tensor:
        return torch.as_tensor(out, dtype=v.dtype, device=v.device)
    return out


def relative_advantage(losses):
    """Eqs. 4-5: ``RA_m = (mean_k L_k - L_m) / mean_k L_k`` (zeros when the mean is 0)."""
    mean = losses.mean()
    if not bool(mean > 0):
        return torch.zeros_like(losses)
    return (mean - losses) / mean


# ---------------------------------------------------------------------------
# The module
# ---------------------------------------------------------------------------


#: Bound of the self-modal log-variances: ``exp(logvar)`` in ``[4.5e-5, 2.2e4]``. Unbounded,
#: a heavy-tailed input (California housing's occupancy: 120 standard deviations) drove
#: a log-variance past 88, where exp overflows float32 and the KL term made training NaN.
_LOGVAR_BOUND = 10.0


def _mlp(in_features, hidden_sizes, out_features):
    """:class:`~skmm.nn.MLPEncoder`'s hidden layers, then a linear output layer."""
    hidden = MLPEncoder(in_features, hidden_sizes)
    return nn.Sequential(hidden, nn.Linear(hidden.out_features, out_features))


class RedCoreModule(MultimodalModule):
    """RedCore's network, losses and supervision regulation.

    Every parameter but ``task`` is required: the defaults are the
    estimator's (:class:`RedCoreClassifier`, :class:`RedCoreRegressor`), which
    passes them all.

    Parameters
    ----------
    encoders : torch.nn.ModuleList
        One feature encoder per modality; a mean and a log-variance head on
        top of each make the self-modal variational encoder (senc).
    latent_dim : int
        ``d``, the dimension of each modality's representation.
    n_outputs : int
        Number of classes (logits) or of targets.
    cross_hidden_sizes : sequence of int
        Hidden widths of each cross-modal encoder (xenc), an MLP from the
        concatenated representations of the other modalities to ``d``.
    decoder_hidden_sizes : sequence of int
        Hidden widths of the ``M + 1`` classifiers (decoders).
    gamma : float
        Weight of the KL term against the prediction term (see
        :class:`RedCoreClassifier`).
    xi1, xi2, norm_p : float
        The constraint set of ``eta`` (Eqs. 6b-6c).
    update_every : int
        ``K``: ``eta`` is updated every ``K`` optimizer steps (Algorithm 1).
    eta_lr : float
        ``alpha_1``, the step of the projected gradient update (Eq. 8).
    ema_beta : float
        ``beta`` of the moving-average loss (Eq. 9).
    regulate : bool
        ``False`` keeps ``eta`` fixed (the paper's "Core" ablation).
    task : torch.nn.Module, default=None
        The per-row loss of the prediction terms: :class:`skmm.nn.Classification`
        (the paper's cross-entropy, recorded as ``loss_ce``; ``None``) or
        :class:`skmm.nn.Regression` (the squared error, recorded as ``loss_pred``).

    Attributes
    ----------
    eta : Tensor of shape (M,)
        Buffer: the weights of the imputation losses.
    mal : Tensor of shape (M,)
        Buffer: the moving-average imputation losses (NaN until first seen).
    n_steps : Tensor
        Buffer: optimizer steps taken.
    eta_log, ra_log : list of (int, Tensor)
        The optimizer step of each regulation update, with ``eta`` after it
        and the ``RA`` it used.
    loss_terms : tuple of str
        ``("loss_ce", "loss_kl", "loss_mse")`` for classification,
        ``("loss_pred", "loss_kl", "loss_mse")`` for regression.
    """

    def __init__(
        self,
        encoders,
        latent_dim,
        n_outputs,
        cross_hidden_sizes,
        decoder_hidden_sizes,
        *,
        gamma,
        xi1,
        xi2,
        norm_p,
        update_every,
        eta_lr,
        ema_beta,
        regulate,
        task=None,
    ):
        super().__init__()
        self.task = Classification() if task is None else task
        # the prediction term's name in the history: the paper's cross-entropy, or not
        self.loss_terms = (
            "loss_ce" if isinstance(self.task, Classification) else "loss_pred",
            "loss_kl",
            "loss_mse",
        )
        n_mod = len(encoders)
        _check_eta_constraints(n_mod, xi1, xi2, norm_p)
        self.encoders = encoders
        self.latent_dim = latent_dim
        # senc: p(z_bar^m | x^m) = N(mu_m, diag(exp(logvar_m))) (supplement B).
        self.mu_heads = nn.ModuleList(nn.Linear(e.out_features, latent_dim) for e in encoders)
        self.logvar_heads = nn.ModuleList(nn.Linear(e.out_features, latent_dim) for e in encoders)
        # xenc: z_hat^m = g({z_bar^m'}_{m' != m}); none with a single modality.
        self.cross_encoders = nn.ModuleList(
            _mlp((n_mod - 1) * latent_dim, cross_hidden_sizes, latent_dim)
            for _ in range(n_mod if n_mod > 1 else 0)
        )
        # dec: one classifier per modality and one on the joint z^{M+1} (Eq. 2).
        self.decoders = nn.ModuleList(
            _mlp(latent_dim, decoder_hidden_sizes, n_outputs) for _ in range(n_mod)
        )
        self.joint_decoder = _mlp(n_mod * latent_dim, decoder_hidden_sizes, n_outputs)
        self.gamma = gamma
        self.xi1, self.xi2, self.norm_p = xi1, xi2, norm_p
        self.update_every, self.eta_lr, self.ema_beta = update_every, eta_lr, ema_beta
        self.regulate = regulate
        # Red's state as buffers: restored by EarlyStopping(load_best) and moved by .to().
        self.register_buffer("eta", torch.full((n_mod,), xi2 / n_mod ** (1.0 / norm_p)))
        self.register_buffer("mal", torch.full((n_mod,), float("nan")))
        self.register_buffer("n_steps", torch.zeros((), dtype=torch.long))
        self.eta_log, self.ra_log = [], []
        # Indices of the other modalities, for the cross-modal inputs.
        others = [[k for k in range(n_mod) if k != m] for m in range(n_mod)]
        self.register_buffer(
            "_others", torch.tensor(others, dtype=torch.long).reshape(n_mod, -1), persistent=False
        )

    # -- representations -------------------------------------------------

    def encode(self, batch):
        mus, logvars = [], []
        for m, (enc, x) in enumerate(zip(self.encoders, batch.xs)):
            feat = enc(x, batch.lengths[m])
            mus.append(self.mu_heads[m](feat))
            logvars.append(self.logvar_heads[m](feat).clamp(-_LOGVAR_BOUND, _LOGVAR_BOUND))
        # A missing modality has no z_bar: zero its (mu, logvar) so that its content can
        # reach nothing downstream (and its KL to N(0, I) is exactly 0).
        present = batch.mask[..., None]
        mu, logvar = torch.stack(mus, 1), torch.stack(logvars, 1)  # (n, M, d)
        zero = torch.zeros_like(mu)
        return torch.where(present, mu, zero), torch.where(present, logvar, zero), batch.mask

    def represent(self, z_bar, mask):
        """Eq. 1: ``z^m = z_bar^m`` where present, the cross-modal ``z_hat^m`` where missing.

        Parameters
        ----------
        z_bar : Tensor of shape (n, M, d)
            Self-modal representations (samples or means); rows of missing
            modalities are ignored.
        mask : bool Tensor of shape (n, M)

        Returns
        -------
        z, z_hat : Tensors of shape (n, M, d)
        """
        n, n_mod, d = z_bar.shape
        if n_mod == 1:  # nothing to impute from; a sample always has its only modality
            return z_bar, torch.zeros_like(z_bar)
        visible = torch.where(mask[..., None], z_bar, torch.zeros_like(z_bar))  # zeros if missing
        z_hat = torch.stack(
            [
                xenc(visible.index_select(1, self._others[m]).reshape(n, -1))
                for m, xenc in enumerate(self.cross_encoders)
            ],
            1,
        )
        return torch.where(mask[..., None], z_bar, z_hat), z_hat

    def joint(self, encoded, mask):
        """The joint representation ``z^{M+1}`` from the means (evaluation)."""
        mu, _, _ = encoded
        z, _ = self.represent(mu, mask)
        return z.flatten(1)

    def output(self, encoded, mask):
        return self.joint_decoder(self.joint(encoded, mask))

    # -- losses ------------------------------------------------------------

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        mu, logvar, batch_mask = encoded
        n, n_mod, _ = mu.shape
        if self.training:  # reparameterization trick (supplement B)
            z_bar = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        else:
            z_bar = mu
        # Eq. 3, KL term: KL(N(mu, sigma^2) || N(0, I)) summed over the d dimensions and
        # the present modalities, averaged over samples (missing modalities have no z_bar).
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)
        kl = torch.where(batch_mask, kl, torch.zeros_like(kl)).sum(1)
        loss_kl = row_mean(kl, sample_weight)
        # Eq. 1 on every (augmented) training row.
        z_bar_rows = take(z_bar, rows)
        z, z_hat = self.represent(z_bar_rows, mask)
        y_rows = take(y, rows)
        w_rows = take(sample_weight, rows)  # each augmented copy: its sample's weight
        # Eq. 3, prediction term over the M + 1 "modalities": one CE (the task's loss) per
        # modality on z^m (z_hat^m where m is missing) and one on the joint z^{M+1}; means
        # over rows.
        output = self.joint_decoder(z.flatten(1))
        loss_ce = row_mean(self.task(output, y_rows), w_rows)
        for m, dec in enumerate(self.decoders):
            loss_ce = loss_ce + row_mean(self.task(dec(z[:, m]), y_rows), w_rows)
        # Imputation loss L_MSE^m = (1/N_m) sum_n ||z^m - z_hat^m||^2 over the rows whose
        # modality m was observed (a modality hidden by augmentation still supervises). It
        # supervises the cross-modal encoder "from the feature": the target is the self-modal
        # mean, held fixed (stop-gradient). Without it the loss is minimized by collapsing
        # every z_bar to one constant, which the classifiers cannot use (see the docstring).
        # With sample weights, the weighted mean over those rows, sum_n w_n ||.||^2 / sum_n
        # w_n: a mean over a subset of rows, which the regulation compares between modalities.
        observed = take(batch_mask, rows)  # (rows, M)
        n_obs = observed.sum(0)
        if n_mod > 1:
            target = take(mu, rows).detach()
            sq = (z_hat - target).pow(2).sum(-1)  # (rows, M)
            sq = torch.where(observed, sq, torch.zeros_like(sq))
            if w_rows is None:
                mse = sq.sum(0) / n_obs.clamp(min=1).to(sq.dtype)
            else:  # n_obs: the observed rows' weight ("seen" where it is positive)
                w_obs = torch.where(observed, w_rows[:, None].to(sq.dtype), torch.zeros_like(sq))
                n_obs = w_obs.sum(0)
                mse = (w_obs * sq).sum(0) / torch.where(n_obs > 0, n_obs, torch.ones_like(n_obs))
        else:
            mse = torch.zeros(n_mod, dtype=mu.dtype, device=mu.device)
        loss_mse = (self.eta * mse).sum()
        loss = loss_ce + self.gamma * loss_kl + loss_mse  # L = L_VIB + sum_m eta_m L_MSE^m
        return {
            "loss": loss,
            # monitored (train_loss, valid_loss, convergence): L_VIB of Eq. 3, a function of
            # the parameters; the imputation term's target moves with them (stop-gradient)
            "objective": (loss_ce + self.gamma * loss_kl).detach(),
            "output": output,
            self.loss_terms[0]: loss_ce,
            "loss_kl": loss_kl,
            "loss_mse": loss_mse,
            # for the regulation (RegulateEta, at batch end): L_MSE^m and whether m was seen
            "mse_per_modality": mse.detach(),
            "observed_modalities": n_obs > 0,
        }

    @torch.no_grad()
    def _regulate(self, mse, seen):
        """Algorithm 1 after optimizer step ``k``.

        Eq. 9 updates the moving-average losses with step ``k``'s imputation
        losses (a modality absent from the batch keeps its average). When
        ``k`` is a multiple of ``K``, ``eta`` is updated by Eq. 8 from ``RA``
        (Eqs. 4-5); step ``k + 1`` is the first to use it. Each update is
        logged with its step, so that a log can be cut back to the state
        early stopping restores.
        """
        beta = self.ema_beta
        first = torch.isnan(self.mal)
        updated = torch.where(first, mse, (1.0 - beta) * self.mal + beta * mse)  # Eq. 9
        self.mal.copy_(torch.where(seen, updated, self.mal))
        step = int(self.n_steps)
        self.n_steps += 1
        if step % self.update_every or bool(torch.isnan(self.mal).any()):
            return
        ra = relative_advantage(self.mal)  # Eqs. 4-5
        if self.regulate:
            self.eta.copy_(
                project_eta(self.eta - self.eta_lr * ra, self.xi1, self.xi2, self.norm_p)
            )  # Eq. 8
        self.eta_log.append((step, self.eta.clone()))
        self.ra_log.append((step, ra))


class RegulateEta(Callback):
    """Red as a skorch callback: Algorithm 1's supervision regulation at batch end.

    After each optimizer step it hands the batch's imputation losses
    ``L_MSE^m`` to the module's ``_regulate`` (Eq. 9, and Eqs. 4-5 and 8
    every ``update_every`` steps). Validation batches are not counted.
    """

    def on_batch_end(self, net, batch=None, training=False, **step):
        if training:
            net.module_._regulate(step["mse_per_modality"], step["observed_modalities"])


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


class _RedCore(EmbeddingMixin):
    """RedCore's parameters, module, regulation and embedding, shared by its
    classifier and its regressor (each adds its task layer)."""

    #: Shared parameters whose default RedCore chose itself (its estimators' docstrings say why).
    _own_defaults = ("lr",)

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="left")],
        "xi1": [Interval(Real, 0, None, closed="left")],
        "xi2": [Interval(Real, 0, None, closed="neither")],
        "norm_p": [Interval(Real, 1, None, closed="left")],
        "update_every": [Interval(Integral, 1, None, closed="left")],
        "eta_lr": [Interval(Real, 0, None, closed="left")],
        "ema_beta": [Interval(Real, 0, 1, closed="right")],
        "regulate": ["boolean"],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "cross_hidden_sizes": ["array-like"],
        "decoder_hidden_sizes": ["array-like"],
        "augment": MultimodalBase._AUGMENT,
    }

    def __init__(
        self,
        gamma=0.008,
        xi1=0.015,
        xi2=0.15,
        norm_p=2,
        update_every=3,
        eta_lr=0.1,
        ema_beta=0.7,
        regulate=True,
        latent_dim=128,
        cross_hidden_sizes=(256, 128, 256),
        decoder_hidden_sizes=(128,),
        augment=None,
        *,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=1e-3,
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
        self.gamma = gamma
        self.xi1 = xi1
        self.xi2 = xi2
        self.norm_p = norm_p
        self.update_every = update_every
        self.eta_lr = eta_lr
        self.ema_beta = ema_beta
        self.regulate = regulate
        self.latent_dim = latent_dim
        self.cross_hidden_sizes = cross_hidden_sizes
        self.decoder_hidden_sizes = decoder_hidden_sizes
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
        check_layer_sizes(self, "cross_hidden_sizes")
        check_layer_sizes(self, "decoder_hidden_sizes")
        return RedCoreModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes),
            int(self.latent_dim),
            n_outputs,
            cross_hidden_sizes=tuple(self.cross_hidden_sizes),
            decoder_hidden_sizes=tuple(self.decoder_hidden_sizes),
            gamma=float(self.gamma),
            xi1=self.xi1,
            xi2=self.xi2,
            norm_p=self.norm_p,
            update_every=int(self.update_every),
            eta_lr=float(self.eta_lr),
            ema_beta=float(self.ema_beta),
            regulate=bool(self.regulate),
            task=task,
        )

    def _method_callbacks(self):
        return [("regulate_eta", RegulateEta())]

    def _after_training(self, net, dataset, partial=False):
        """``eta_``, ``eta_history_`` and ``relative_advantage_history_`` from the trained
        module's regulation state and logs."""
        module = net.module_
        n_mod = len(self.modalities_)
        n_steps = int(module.n_steps)  # restored with the weights under early stopping

        def rows(log):
            kept = [value for step, value in log if step < n_steps]
            if not kept:
                return np.empty((0, n_mod))
            return torch.stack(kept).detach().cpu().double().numpy()

        self.eta_history_ = rows(module.eta_log)
        self.relative_advantage_history_ = rows(module.ra_log)
        module.eta_log, module.ra_log = [], []  # kept once, here
        self.eta_ = module.eta.detach().cpu().double().numpy()

    def transform(self, X):
        """The joint representation ``z^{M+1}`` (means; ``z_hat`` for missing modalities).

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_modalities * latent_dim)
            The blocks follow ``modalities_``.
        """
        return self._forward(
            X, lambda module, batch: module.joint(module.encode(batch), batch.mask)
        )


@fill_doc
class RedCoreClassifier(_RedCore, MultimodalClassifierBase):
    """RedCore: relative-advantage-aware cross-modal representation learning.

    Trains directly on samples with missing modalities (imperfect data
    training). Each present modality ``m`` is encoded into a Gaussian
    ``N(mu_m, sigma_m^2)`` (self-modal variational encoder) and sampled as
    ``z_bar_m``. A cross-modal encoder per modality predicts ``z_hat_m`` from
    the concatenated ``z_bar`` of the other modalities (zeros where missing);
    ``z_m`` is ``z_bar_m`` when ``m`` is present and ``z_hat_m`` when it is
    missing (Eq. 1), and the joint representation is the concatenation of all
    ``z_m``. One classifier per modality and one on the joint representation
    give the variational information bottleneck loss ``L_VIB`` (Eqs. 2-3);
    the imputation losses ``L_MSE^m`` train ``z_hat_m`` to match ``z_bar_m``
    where ``m`` is present, and the objective is
    ``L_VIB + sum_m eta_m L_MSE^m``. *Red* regulates ``eta``: every
    ``update_every`` optimizer steps it moves against each modality's relative
    advantage ``RA_m`` (Eqs. 4-5, on the moving-average losses of Eq. 9) and is
    projected back onto ``{eta >= xi1, ||eta||_p = xi2}`` (Eq. 8), so a
    modality whose imputation is already easy gets less weight.

    Choices where the paper is ambiguous (each tested):

    * **Loss scaling.** Eq. 3 reads ``KL - gamma * log q(y|z)`` with
      ``gamma = 0.008``; taken literally the KL outweighs the prediction term
      125:1 and the representations collapse. As in the VIB of Alemi et al.
      (``CE + beta * KL``) and the authors' released code, ``gamma`` weighs
      the KL: ``L_VIB = sum over the M + 1 classifiers of CE + gamma * KL``,
      with CE a mean over samples and KL summed over the ``d`` dimensions and
      the present modalities, averaged over samples. Missing modalities have
      no ``z_bar`` and no KL; the joint ``z^{M+1}`` is their concatenation, so
      its KL is not counted a second time.
    * **Imputation loss.** ``L_MSE^m`` is the squared l2 norm (summed over the
      ``d`` dimensions, as the paper's ``||.||_2^2``) averaged over the batch
      samples where ``m`` is present. Section 3 says the cross-modal encoder
      "receives additional supervision from the feature": the loss trains the
      cross-modal encoders (and, through their inputs, the other modalities'
      encoders) towards the self-modal *mean* ``mu_m``, held fixed
      (stop-gradient). Where the gradient reaches the target too (as in an earlier
      development version, see the changelog), the
      loss is then minimized by collapsing every ``z_bar`` to one constant
      with a vanishing variance, and on small or many-class data the
      classifiers never left chance (68 classes: summed cross-entropy stuck
      at ``4 ln 68``, KL growing to 400, one class predicted for every
      sample). The mean rather than the sample is the target because the
      sample only adds ``sum sigma_m^2``, a constant for the cross-modal
      encoder, to the loss, which would bias the relative advantages.
    * **Per-modality classifiers** see ``z_m``, i.e. ``z_hat_m`` for a missing
      modality, so its cross-modal encoder is supervised by the label.
    * **Cross-modal encoders** are MLPs of widths ``cross_hidden_sizes``
      (the paper uses stacked residual autoencoders 256-128-64-32-64-128-256,
      output 128). With a single modality there is nothing to impute from:
      no cross-modal encoder and a zero imputation loss.
    * **Red.** The regulation is a skorch callback (:class:`~skmm.redcore.RegulateEta`)
      at the end of each training batch. The moving averages start at the
      first observed loss; after optimizer step ``k`` they take that step's
      imputation losses (Eq. 9), and when ``k`` is a multiple of ``K``,
      ``eta`` is updated (Eq. 8) and used from step ``k + 1`` on (Algorithm 1
      updates ``eta`` before step ``k``'s parameter update; one step later
      is the price of keeping the update out of the loss computation). The
      initial ``eta`` is equal, ``xi2 / M**(1/p)`` each. See
      :func:`~skmm.redcore.project_eta` for the projection.
    * **Bounded log-variances.** The self-modal log-variances are clipped to
      ``[-10, 10]`` (the paper does not bound them). Unbounded, a
      heavy-tailed feature (California housing's occupancy, 120 standard
      deviations out) drove one past float32's ``exp`` range: the KL term
      overflowed and ``RedCoreRegressor`` ended at R² -0.87 after NaN
      epochs; clipped, 0.75 (seed 0, 15 epochs).
    * Prediction and :meth:`transform` use the means (no sampling).
    * **Learning rate.** The paper trains with Adam at ``lr=2e-4`` (set
      ``lr=2e-4`` for the paper's setting); the default here is ``lr=1e-3``,
      not the ``3e-4`` of the other skmm estimators (see :doc:`/defaults`).
      On 68 generated classes and 544 training rows, RedCore's objective
      first sits at its initial value for several epochs; with early
      stopping on (the default) a smaller rate stays there longer than
      ``n_iter_no_change`` epochs and training stops at chance: 1.5% test
      accuracy at ``3e-4``, 99.3% at ``1e-3`` (LateFusion: 100%). The paper
      trains Transformer encoders on thousands of samples for many steps.

    Parameters
    ----------
    gamma : float, default=0.008
        ``gamma`` of Eq. 3, here the weight of the KL term against the
        classification losses (see above).
    xi1 : float, default=0.015
        ``xi_1`` of Eq. 6b, the floor of every ``eta_m`` (``>= 0``; 0 puts no floor).
    xi2 : float, default=0.15
        ``xi_2`` of Eq. 6c, the ``l_p`` norm of ``eta``. Requires
        ``xi1 * M**(1/norm_p) <= xi2``.
    norm_p : float, default=2
        ``p`` of Eq. 6c (``p >= 1``).
    update_every : int, default=3
        ``K`` of Algorithm 1: optimizer steps between two updates of ``eta``.
    eta_lr : float, default=0.1
        ``alpha_1`` of Eq. 8, the step of the projected update of ``eta``.
    ema_beta : float, default=0.7
        ``beta`` of Eq. 9, in ``(0, 1]``: the weight of the newest imputation
        loss in the moving average.
    regulate : bool, default=True
        ``False`` keeps ``eta`` fixed and equal: the paper's "Core" ablation.
    latent_dim : int, default=128
        ``d``, the dimension of each modality's representation (paper: 128).
    cross_hidden_sizes : tuple of int, default=(256, 128, 256)
        Hidden widths of each cross-modal encoder (an MLP).
    decoder_hidden_sizes : tuple of int, default=(128,)
        Hidden widths of the ``M + 1`` classifiers (``()``: linear).
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch. ``None`` (paper): train on
        the data as it is, missing modalities included. ``"all"``/``"random"``:
        also hide observed modalities (every pattern, or one random pattern
        per sample); a hidden modality still supervises its imputation.
    {common}

    Attributes
    ----------
    eta_ : ndarray of shape (n_modalities,)
        The final imputation-loss weights ``eta``.
    eta_history_ : ndarray of shape (n_updates, n_modalities)
        ``eta`` after each regulation step (every ``update_every`` optimizer
        steps; constant rows when ``regulate=False``). With early stopping,
        the updates up to the restored epoch: the last row is ``eta_``.
    relative_advantage_history_ : ndarray of shape (n_updates, n_modalities)
        The relative advantages ``RA`` (Eq. 5) used at each regulation step;
        rows sum to zero.
    {attributes}

    See Also
    --------
    RedCoreRegressor : The same method for continuous targets.
    RAMLClassifier : Redundancy-adaptive fusion of variational encoders.
    ConcatFusionClassifier : Concatenation baseline.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import RedCoreClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 60)
    >>> X = {"a": y[:, None] + rng.randn(60, 3), "b": y[:, None] + rng.randn(60, 2)}
    >>> X["b"][:20] = np.nan  # modality "b" missing for a third of the samples
    >>> clf = RedCoreClassifier(max_epochs=5, lr=1e-2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (60, 2)
    >>> clf.transform(X).shape  # joint representation, z_hat for the missing "b"
    (60, 256)
    >>> bool(np.isclose(np.linalg.norm(clf.eta_), 0.15))
    True
    """

    _parameter_constraints = {
        **_RedCore._parameter_constraints,
        "class_weight": MultimodalClassifierBase._CLASS_WEIGHT,
    }

    def __init__(
        self,
        gamma=0.008,
        xi1=0.015,
        xi2=0.15,
        norm_p=2,
        update_every=3,
        eta_lr=0.1,
        ema_beta=0.7,
        regulate=True,
        latent_dim=128,
        cross_hidden_sizes=(256, 128, 256),
        decoder_hidden_sizes=(128,),
        augment=None,
        *,
        class_weight=None,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=1e-3,
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
            gamma=gamma, xi1=xi1, xi2=xi2, norm_p=norm_p, update_every=update_every, eta_lr=eta_lr,
            ema_beta=ema_beta, regulate=regulate, latent_dim=latent_dim,
            cross_hidden_sizes=cross_hidden_sizes, decoder_hidden_sizes=decoder_hidden_sizes,
            augment=augment, modalities=modalities, encoders=encoders, hidden_sizes=hidden_sizes,
            train_noise=train_noise, lr=lr, lr_schedule=lr_schedule, weight_decay=weight_decay,
            batch_size=batch_size, max_epochs=max_epochs, tol=tol, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            device=device, n_threads=n_threads, data_placement=data_placement,
            random_state=random_state, callbacks=callbacks, verbose=verbose, warm_start=warm_start
        )
        self.class_weight = class_weight


@fill_doc
class RedCoreRegressor(_RedCore, MultimodalRegressorBase):
    """RedCore for continuous targets.

    :class:`RedCoreClassifier`'s method with regression decoders: the same
    self-modal variational encoders, cross-modal imputation (Eq. 1),
    imputation losses and *Red* regulation of their weights ``eta``
    (Eqs. 4-9, Algorithm 1), with the ``M + 1`` decoders predicting the
    ``n_targets`` standardized targets. In the variational information
    bottleneck (Eqs. 2-3) the paper's ``-log q(y | z)`` of a categorical
    decoder becomes that of a unit-variance Gaussian decoder, the squared
    error up to a factor 1/2 and a constant (:class:`skmm.nn.Regression`,
    averaged over the targets); it is recorded as ``loss_pred`` (the
    classifier's ``loss_ce``). ``gamma`` weighs the KL term against it as on
    the classifier. The regulation acts on the imputation losses only, which
    do not depend on the task. The choices listed in
    :class:`RedCoreClassifier` hold here too. Early stopping holds out a
    shuffled (not stratified) split and records its R² as ``valid_r2``.

    Parameters
    ----------
    gamma : float, default=0.008
        ``gamma`` of Eq. 3, the weight of the KL term against the prediction
        losses.
    xi1 : float, default=0.015
        ``xi_1`` of Eq. 6b, the floor of every ``eta_m``.
    xi2 : float, default=0.15
        ``xi_2`` of Eq. 6c, the ``l_p`` norm of ``eta``.
    norm_p : float, default=2
        ``p`` of Eq. 6c (``p >= 1``).
    update_every : int, default=3
        ``K`` of Algorithm 1: optimizer steps between two updates of ``eta``.
    eta_lr : float, default=0.1
        ``alpha_1`` of Eq. 8, the step of the projected update of ``eta``.
    ema_beta : float, default=0.7
        ``beta`` of Eq. 9, the weight of the newest loss in the moving average.
    regulate : bool, default=True
        ``False`` keeps ``eta`` fixed and equal: the paper's "Core" ablation.
    latent_dim : int, default=128
        ``d``, the dimension of each modality's representation.
    cross_hidden_sizes : tuple of int, default=(256, 128, 256)
        Hidden widths of each cross-modal encoder (an MLP).
    decoder_hidden_sizes : tuple of int, default=(128,)
        Hidden widths of the ``M + 1`` decoders (``()``: linear).
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch (see :class:`RedCoreClassifier`).
    {common}

    Attributes
    ----------
    eta_ : ndarray of shape (n_modalities,)
        The final imputation-loss weights ``eta``.
    eta_history_ : ndarray of shape (n_updates, n_modalities)
        ``eta`` after each regulation step.
    relative_advantage_history_ : ndarray of shape (n_updates, n_modalities)
        The relative advantages ``RA`` (Eq. 5) used at each regulation step.
    {attributes}

    See Also
    --------
    RedCoreClassifier : The same method for classes.
    RAMLRegressor : Redundancy-adaptive fusion for continuous targets.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import RedCoreRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(80, 3), "b": rng.randn(80, 2)}
    >>> y = X["a"][:, 0] + X["b"][:, 0]
    >>> X["b"][:20] = np.nan  # modality "b" missing for a quarter of the samples
    >>> reg = RedCoreRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> reg.predict(X).shape
    (80,)
    >>> bool(np.isclose(np.linalg.norm(reg.eta_), 0.15))
    True
    """
