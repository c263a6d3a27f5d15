"""Parameters that name modalities, shared by the transformers: ``targets`` (the
modalities a transformer acts on) and ``modalities`` (the column spec of flat input)."""

from skmm._data import SINGLE_MODALITY

#: The constraint of a parameter naming modalities (a name or a list of names).
_NAMES = [str, list, tuple, None]
#: The constraint of ``modalities``, the column spec (a dict); other forms get a
#: hint towards ``targets`` from :func:`_check_spec`.
_SPEC = [dict, str, list, tuple, None]


def _as_names(value, param):
    """A modality-name parameter (a str or a sequence of str) as a list."""
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        raise TypeError(
            f"{param} must be a modality name or a list of names, got {value!r}."
        ) from None
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{param} must hold modality names (str), got {name!r}.")
    return names


def _check_known(owner, names, known, param):
    unknown = [n for n in names if n not in known]
    if unknown:
        hint = ""
        if list(known) == [SINGLE_MODALITY] and getattr(owner, "modalities", None) is None:
            hint = (
                " A flat array or DataFrame is the single modality 'x' unless split: pass "
                "modalities={name: columns, ...}, the column spec the estimators take."
            )
        raise ValueError(
            f"{type(owner).__name__}: unknown modalities {unknown} in `{param}`; the data "
            f"has modalities {list(known)}.{hint}"
        )


def _selected(owner, names):
    """Modalities chosen by a ``targets`` parameter (``None``: all)."""
    if owner.targets is None:
        return list(names)
    chosen = _as_names(owner.targets, "targets")
    _check_known(owner, chosen, names, "targets")
    return chosen


def _check_spec(owner):
    """The ``modalities`` column spec of a transformer (``None`` or a dict)."""
    owner._validate_params()  # a wrong type gets sklearn's message first
    spec = owner.modalities
    if spec is not None and not isinstance(spec, dict):
        raise TypeError(
            f"{type(owner).__name__}: modalities is the column spec of flat data (a dict "
            f"modality name -> columns), as on the estimators; got {spec!r}. To choose the "
            f"modalities to act on, use targets={spec!r}."
        )
    return spec


def _is_fitted(estimator):
    return hasattr(estimator, "modalities_")
