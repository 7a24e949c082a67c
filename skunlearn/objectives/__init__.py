"""Targets to drive to zero (fairness surrogates) and the utility they are traded against.

Besides the group parity targets and the adaptive ``robustness``, the paper's
targets are available by name for reproducing its experiments
(``loss_equal_opportunity``, ``paper_robustness``; the user guide says how they
differ and which to prefer), and ``utility``, the held-out loss itself, makes
unlearning a data cleaner.
"""

from ._base import BoundObjective, LinearStatisticObjective, Objective
from .composite import BoundObjectives, Objectives
from .parity import EvaluationLoss, GroupParity
from .robustness import FixedPointRobustness, Robustness

_REGISTRY = {}


def register_objective(objective, *aliases):
    """Make ``objective`` (an :class:`Objective` instance) available by name.

    Examples
    --------
    >>> from skunlearn.objectives import GroupParity, register_objective, get_objective
    >>> register_objective(GroupParity("my_parity", "prediction", ["all"]))
    >>> get_objective("my_parity").name
    'my_parity'
    """
    for name in (objective.name, *aliases):
        _REGISTRY[name] = objective


def available_objectives():
    """Sorted names accepted by ``SoftUnlearner(objective=...)``.

    Examples
    --------
    >>> from skunlearn.objectives import available_objectives
    >>> "demographic_parity" in available_objectives()
    True
    """
    return sorted(_REGISTRY)


def get_objective(objective):
    """Return the :class:`Objective` for a name, or ``objective`` itself if it is one.

    A list or tuple of objectives gives :class:`Objectives` (their rows stacked);
    a list of one gives that objective.

    Examples
    --------
    >>> from skunlearn.objectives import get_objective
    >>> get_objective("demographic_parity").statistic
    'prediction'
    >>> get_objective(["demographic_parity", "robustness"]).names
    ['demographic_parity', 'robustness']
    >>> get_objective("parity")
    Traceback (most recent call last):
    ...
    ValueError: Unknown objective 'parity'; choose one of ...
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, list | tuple):
        if not objective:
            raise ValueError(
                "objective is an empty list; name at least one objective, e.g. "
                "'demographic_parity' or ['demographic_parity', 'robustness']."
            )
        return get_objective(objective[0]) if len(objective) == 1 else Objectives(objective)
    if isinstance(objective, str) and objective in _REGISTRY:
        return _REGISTRY[objective]
    raise ValueError(
        f"Unknown objective {objective!r}; choose one of "
        f"{', '.join(repr(n) for n in available_objectives())}, an Objective instance, "
        "or a list of them."
    )


register_objective(GroupParity("demographic_parity", "prediction", ["all"]))
register_objective(
    GroupParity("equal_opportunity", "prediction", ["positive"], classifier_only=True),
    "true_positive_rate_parity",
)
register_objective(
    GroupParity("false_positive_rate_parity", "prediction", ["negative"], classifier_only=True)
)
register_objective(
    GroupParity("equalized_odds", "prediction", ["positive", "negative"], classifier_only=True)
)
register_objective(GroupParity("error_rate_parity", "loss", ["all"]))
register_objective(Robustness())
# the paper's targets by name (Qiao et al. 2025): its loss-based "EOP" and its
# robustness on adversarial points fixed from the original model
register_objective(GroupParity("loss_equal_opportunity", "loss", ["positive"],
                               classifier_only=True, reference="largest"))
register_objective(FixedPointRobustness())
# influence-based data cleaning: drive the held-out loss down
register_objective(EvaluationLoss(row_name="held_out_loss"))

__all__ = [
    "BoundObjective",
    "BoundObjectives",
    "EvaluationLoss",
    "FixedPointRobustness",
    "GroupParity",
    "LinearStatisticObjective",
    "Objective",
    "Objectives",
    "available_objectives",
    "get_objective",
    "register_objective",
    "Robustness",
]
