"""Docstring fragments shared by skmm's public classes, and the decorators that
put them in place.

A parameter documented here is documented once for every class that has it;
its ``default=`` is written from the class's own signature, so the text cannot
contradict the code (``tests/test_docstrings.py`` holds every public class's
documented parameters and defaults to its signature).
"""

import inspect
import re

from sklearn.base import RegressorMixin

__all__ = ["fill_doc"]

#: Docstring fragment for the attributes set by validating the input at ``fit``.
INPUT_ATTRIBUTES_DOC = """
    modalities_ : list of str
        Modality names seen in ``fit``, in order.
    feature_shapes_ : dict
        Per-modality feature shape seen in ``fit``: ``(d,)`` or ``(None, d)``.
    modality_n_features_in_ : dict
        Modality name -> number of features seen in ``fit`` (per timestep
        for a sequence), whatever the input form.
    modality_feature_names_in_ : dict
        Modality name -> column names (ndarray of str) seen in ``fit``, for
        each modality that was a DataFrame with string column names (in a
        dict, or split from a DataFrame by ``modalities``). Defined only when
        some modality had names. Later calls must give such a modality the
        same columns in the same order (see :ref:`input`).
    n_features_in_ : int
        Number of columns, when ``X`` was a flat 2D array (scikit-learn's
        meaning; dict input has ``modality_n_features_in_`` instead).
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names
        (scikit-learn's meaning; dict input has
        ``modality_feature_names_in_`` instead).
"""

#: The parameters every skmm estimator shares; ``<name>`` marks where ``fill_doc`` writes
#: the class's own default, read from its signature.
COMMON_PARAMETERS = """
    modalities : dict, default=<modalities>
        For a flat 2D ``X``: modality name -> column indices, slice or (for a
        DataFrame) column names. ``None``: dict input as given, or a flat
        array as one modality.
    encoders : dict, default=<encoders>
        Modality name -> encoder name or a ``torch.nn.Module`` with
        ``out_features``. Names: ``"mlp"`` for 2D features; ``"lstm"``,
        ``"textcnn"`` or ``"transformer"`` for sequences (3D input, see
        :mod:`skmm.nn`). Modalities not named get the default for their
        shape: ``"mlp"`` for 2D features, ``"lstm"`` for sequences.
    hidden_sizes : tuple of int, default=<hidden_sizes>
        Layer widths of the built-in encoders: one ``"mlp"`` layer per size;
        a sequence encoder's output width is the last size (see
        :func:`skmm.nn.make_encoder`). Chosen by measurement against
        ``(128,)``, ``(512,)``, ``(128, 128)``, ``(256, 256)`` (the earlier
        default) and ``(512, 512)`` (:doc:`/defaults`).
    train_noise : float or (float, float), default=<train_noise>
        Corruption-aware training: with probability ``p`` (0.5 when a single
        number is given) per sample and batch, add Gaussian noise of a std
        drawn from ``[0, max_std]`` to one random present modality. Applied on
        the device after any validation split. ``None`` (paper-exact) turns it
        off.
    lr : float, default=<lr>
        Adam learning rate (the RAML paper uses 1e-3, RedCore's 2e-4; see
        :class:`RedCoreClassifier`). The defaults of ``lr``,
        ``weight_decay``, ``batch_size``, ``max_epochs`` and
        ``early_stopping`` were chosen by measurement on data sets of 80 to
        40,000 training rows and 2 to 100 classes: :doc:`/defaults`; a regressor
        has its classifier's, measured on regression data in
        :doc:`/user_guide/regression`.
    lr_schedule : {"constant", "adaptive"}, default=<lr_schedule>
        ``"constant"``: Adam at ``lr`` throughout. ``"adaptive"``: the rate is
        divided by 5 (as ``MLPClassifier(learning_rate="adaptive")`` does)
        whenever the monitored loss (see ``tol``) has not improved by ``tol``
        for three epochs; the rate of each epoch is recorded as ``event_lr``
        in ``history_``. The trusted estimator's default by measurement
        (:doc:`/defaults`); on the others it was not better.
    weight_decay : float, default=<weight_decay>
        Adam weight decay (L2 penalty added to the gradient).
    batch_size : int, default=<batch_size>
        Mini-batch size. Inference runs batches of ``min(batch_size, 1024)``
        rows, the last one padded to that size, so that a sample's prediction
        does not depend on the samples passed with it (bit for bit).
    max_epochs : int, default=<max_epochs>
        The most passes over the training data (scikit-learn's
        ``MLPClassifier`` default). Training stops earlier once it has
        converged (see ``tol``); a ``ConvergenceWarning`` says when
        ``max_epochs`` ended it first, or when the model never learned.
    tol : float or None, default=<tol>
        Convergence tolerance, as in scikit-learn's ``MLPClassifier``: when
        the monitored loss (the training objective, ``train_loss``; with
        early stopping, the same objective on the validation split,
        ``valid_loss``) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs, training stops, but never
        before the model has learned: until the monitored rows' score
        (accuracy or R², ``train_acc``/``valid_acc``, ``train_r2``/``valid_r2``
        in ``history_``) is a tenth of the way from chance (the best
        constant prediction's score) to perfect, a plateau does not count. A
        network can sit at chance for many epochs before it finds the signal;
        if it never does, a ``ConvergenceWarning`` says so. ``None`` (as in
        scikit-learn's ``SGDClassifier``): no stopping rule, training runs
        ``max_epochs`` epochs; with early stopping the best epoch's weights
        are still restored at the end. For choosing ``max_epochs`` by
        cross-validation.
    early_stopping : "auto" or bool, default=<early_stopping>
        Hold out ``validation_fraction`` of the training data (stratified
        for a classifier, shuffled for a regressor), monitor the method's
        objective on it (``valid_loss``, computed without augmentation or
        noise, so that it measures what ``train_loss`` measures; the
        accuracy ``valid_acc`` or, for a regressor, the R² ``valid_r2`` is
        recorded beside it) and restore the weights of its best epoch when
        training stops. ``"auto"`` (as ``HistGradientBoostingClassifier``
        has it): on when the validation split would hold at least 20 rows
        and, for a classifier, two per class; on fewer its loss and accuracy
        measure noise (with 8 rows of 10 classes it stopped RAML at 23% on
        80 rows of UCI Multiple Features, where training on all rows until
        ``train_loss`` converged gave 93%). ``True`` / ``False``: always /
        never. With a split the networks do not overfit small, noisy or
        many-class data (on 400 rows of two noisy classes, training to
        convergence without one lost 1 to 7 points; RAML fell from 73% to
        38% on 5,000 samples of 100 classes), and holding out 10% cost at
        most a point on the other measured sets
        (see :doc:`/defaults`). ``early_stopping_`` holds the choice made.
    validation_fraction : float, default=<validation_fraction>
        Held-out share for early stopping.
    n_iter_no_change : int, default=<n_iter_no_change>
        Epochs without an improvement of ``tol`` before training stops.
    device : {"cpu", "cuda", "cuda:N", "auto"}, default=<device>
        Where to train. ``"auto"`` takes a GPU when one is available.
    n_threads : int or None, default=<n_threads>
        Torch CPU threads during ``fit``, ``predict`` and the other methods;
        the previous setting is restored afterwards. ``None`` keeps torch's
        own setting. One thread is the default because these networks are
        small: on 2 cores, 2 threads were at most 1.5x faster on an idle
        machine and 2.5x slower with one other busy process (up to 20x
        slower on a loaded machine), while one thread did not slow down.
    data_placement : {"auto", "device", "stream"}, default=<data_placement>
        Where the data lives while training and predicting. ``"device"``: the
        whole data set is put on ``device`` once and batches are slices of it
        (the fastest when it fits; on the CPU the caller's float32 arrays are
        used in place, without a copy). ``"stream"``: the data stays in host
        memory, or on disk for a ``np.memmap`` or HDF5/zarr dataset, and each
        batch is gathered on the host (into pinned memory for a GPU) and copied
        to the device without blocking; out-of-core data is read in shuffled
        chunks (see :doc:`/scaling`). ``"auto"``: ``"stream"`` for out-of-core
        data and for data larger than half the free GPU memory, else
        ``"device"``. On the CPU the two differ only in that ``"stream"``
        copies each batch and reads out-of-core data chunk by chunk, where
        ``"device"`` loads it into memory.
    random_state : int, RandomState instance or None, default=<random_state>
        Seeds weight initialization, shuffling, augmentation and noise; with
        an int, CPU results are repeatable. The global torch RNG state is
        left untouched.
    callbacks : list of skorch callbacks, default=<callbacks>
        Extra skorch callbacks (checkpoints, LR schedulers, ...).
    verbose : int, default=<verbose>
        0: silent; 1: a log line per epoch; 2: also a progress bar per epoch.
    warm_start : bool, default=<warm_start>
        When ``True``, ``fit`` continues training the fitted module (its
        weights; a new optimizer, as ``MLPClassifier`` makes) on the data it
        is given, for up to ``max_epochs`` more epochs, instead of starting
        from new weights. The data must have the modalities and feature
        shapes of the first fit (and a classifier's labels its ``classes_``;
        a regressor keeps the target scaling of the first fit). ``history_``
        and ``n_iter_`` continue. See also ``partial_fit``.
"""

#: The classifiers' ``class_weight`` (documented before the common parameters, as every
#: classifier's signature has it first among the keyword-only parameters).
CLASS_WEIGHT_PARAMETER = """
    class_weight : dict, "balanced" or None, default=<class_weight>
        Weights of the classes, ``{label: weight}``, as in scikit-learn's
        ``SGDClassifier`` and ``LogisticRegression``: each sample's weight in
        ``fit`` is its ``sample_weight`` times its class's weight, and every
        loss term of the sample is weighted by it (see
        :ref:`sample_weights`). ``"balanced"``: ``n_samples / (n_classes *
        np.bincount(y))``, with the counts weighted by ``sample_weight``
        (refused by ``partial_fit``: pass the weights as a dict there).
        ``None``: every class weighs 1.
"""

_TRAINING_ATTRIBUTES = INPUT_ATTRIBUTES_DOC.rstrip("\n") + """
    early_stopping_ : bool
        Whether ``fit`` held out a validation split (``early_stopping``
        resolved).
    data_placement_ : {"device", "stream"}
        The data placement used in ``fit`` (``data_placement`` resolved).
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the PyTorch module.
    history_ : skorch.History
        Per-epoch and per-batch training records (losses and each loss term).
    n_iter_ : int
        Number of epochs run.
"""

#: Docstring fragment for the fitted attributes of every skmm classifier.
COMMON_ATTRIBUTES = """
    classes_ : ndarray of shape (n_classes,)
        Class labels.""" + _TRAINING_ATTRIBUTES

#: Docstring fragment for the fitted attributes of every skmm regressor.
REGRESSOR_ATTRIBUTES = """
    n_outputs_ : int
        Number of targets (1 for a 1D ``y``).""" + _TRAINING_ATTRIBUTES


def format_default(value):
    """A default as numpydoc writes it: ``3e-4``, ``(256,)``, ``"auto"``, ``None``."""
    if isinstance(value, float) and value != 0 and abs(value) < 1e-2:
        mantissa, exponent = f"{value:.0e}".split("e")
        if float(mantissa + "e" + exponent) == value:
            return f"{mantissa}e{int(exponent)}"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _with_defaults(fragment, cls):
    """``fragment`` with each ``default=<name>`` replaced by ``cls``'s signature default."""
    signature = inspect.signature(cls.__init__).parameters

    def default(match):
        name = match.group(1)
        if name not in signature:
            raise TypeError(f"{cls.__name__}.__init__ has no parameter {name!r} to document.")
        return "default=" + format_default(signature[name].default)

    return re.sub(r"default=<(\w+)>", default, fragment)


def fill_doc(cls):
    """Class decorator: put the shared parameter and attribute docs in an estimator's docstring.

    The docstring marks their places with lines holding only ``{common}`` and
    ``{attributes}``, indented like the parameters; each shared parameter's
    default is the class's own (from its signature), and a regressor gets the
    regressors' attributes. A class with a ``class_weight`` parameter (a
    classifier) gets its documentation first.
    """
    attributes = REGRESSOR_ATTRIBUTES if issubclass(cls, RegressorMixin) else COMMON_ATTRIBUTES
    common = COMMON_PARAMETERS.lstrip("\n")
    if "class_weight" in inspect.signature(cls.__init__).parameters:
        common = CLASS_WEIGHT_PARAMETER.lstrip("\n") + common
    doc = cls.__doc__
    doc = doc.replace("    {common}\n", _with_defaults(common, cls))
    doc = doc.replace("    {attributes}\n", attributes.lstrip("\n"))
    cls.__doc__ = doc
    return cls


_APPLY_ON_DOC = """apply_on : {"transform", "fit_transform", "both"}, default="transform"
        When the corruption acts: ``"transform"`` corrupts in ``transform``
        only (``fit_transform`` returns a clean copy, so a Pipeline trains on
        clean data and predicts on corrupted data); ``"fit_transform"``
        corrupts in ``fit_transform`` only (training-time augmentation);
        ``"both"`` always. :meth:`corrupt` always corrupts. Under the default,
        ``GridSearchCV(return_train_score=True)`` train scores and
        ``cross_val_predict`` see corrupted data too (they call ``transform``)."""


_MODALITIES_DOC = """modalities : dict, default=None
        Column spec of flat input, as on the estimators: modality name ->
        column indices, a ``slice`` or (for a DataFrame) column names. The
        modalities are then acted on separately and written back into a copy
        of the flat array or DataFrame. ``None``: a flat ``X`` is the single
        modality ``"x"``."""


def fill_transformer_doc(cls):
    """Class decorator for the transformers: fill the shared ``{apply_on}``,
    ``{modalities}`` and ``{input_attributes}`` docs."""
    doc = cls.__doc__.replace("{apply_on}", _APPLY_ON_DOC)
    doc = doc.replace("{modalities}", _MODALITIES_DOC)
    cls.__doc__ = doc.replace("    {input_attributes}\n", INPUT_ATTRIBUTES_DOC.lstrip("\n"))
    return cls
