"""Several targets at once: one objective whose rows are those of its members, stacked.

A target is already a vector (``equalized_odds`` has two rows), and every
weight problem takes a ``k x n`` influence matrix, so several objectives are
one objective with their rows stacked:

.. math::

    F(\\theta) = \\begin{bmatrix} F^{(1)}(\\theta) \\\\ \\vdots \\\\ F^{(m)}(\\theta) \\end{bmatrix},
    \\qquad
    \\frac{\\partial F}{\\partial \\theta} =
    \\begin{bmatrix} \\partial F^{(1)} / \\partial \\theta \\\\ \\vdots \\\\
    \\partial F^{(m)} / \\partial \\theta \\end{bmatrix}.

The weights then move each member's rows by its own request (a per-member
strength or bound, see :class:`skunlearn.SoftUnlearner`), and the frontier
measures each member's hard-prediction metric. When rows of different members
have linearly dependent influences (``equal_opportunity`` and
``equalized_odds`` share the true-positive-rate row) and their requests
contradict each other, the weights take the least-squares compromise and warn
(:mod:`skunlearn.weights`).
"""

import numpy as np

from .._dask import compute
from ._base import BoundObjective, Objective


class Objectives(Objective):
    """Several targets driven at once: their rows are stacked into one target.

    Parameters
    ----------
    objectives : list of str or Objective
        At least two targets with distinct names (e.g. ``["demographic_parity",
        "robustness"]``); names are resolved by
        :func:`~skunlearn.objectives.get_objective`.

    Attributes
    ----------
    parts : tuple of Objective
        The member objectives, in order.
    names : list of str
        Their names (``objective.name``), the keys of per-objective settings.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import Design
    >>> from skunlearn.losses import LogisticLoss
    >>> from skunlearn.objectives import Objectives
    >>> both = Objectives(["demographic_parity", "robustness"])
    >>> both.names, both.needs_groups
    (['demographic_parity', 'robustness'], True)
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 1.0, 0.0, 1.0])
    >>> bound = both.bind(Design(X, True), y, (np.array([0, 0, 1, 1]), ["a", "b"]), LogisticLoss())
    >>> bound.row_names
    ['demographic_parity[a]', 'robustness[r=0.1]']
    >>> bound.value(np.array([1.0, -1.5])).shape, bound.jacobian(np.array([1.0, -1.5])).shape
    ((2,), (2, 2))
    """

    def __init__(self, objectives):
        from . import get_objective  # the registry imports this module

        if isinstance(objectives, str | Objective) or not hasattr(objectives, "__iter__"):
            raise ValueError(
                "Objectives takes a list of objectives (names or Objective instances), "
                f"got {objectives!r}."
            )
        nested = [o for o in objectives if not isinstance(o, str | Objective)]
        if nested:
            raise ValueError(
                "Objectives lists objectives as names or Objective instances, got "
                f"{nested!r}."
            )
        parts = tuple(get_objective(o) for o in objectives)
        if len(parts) < 2:
            raise ValueError(
                f"Objectives needs at least two objectives, got {len(parts)}: pass a "
                "single objective by itself."
            )
        if any(isinstance(p, Objectives) for p in parts):
            raise ValueError("Objectives cannot be nested: list the objectives themselves.")
        names = [p.name for p in parts]
        repeated = sorted({n for n in names if names.count(n) > 1}, key=names.index)
        if repeated:
            raise ValueError(
                f"Each objective may appear once in the list; {repeated} appear(s) more "
                "than once (their rows would be identical, or, for objectives of the same "
                "name with other settings, their per-objective settings ambiguous)."
            )
        self.parts = parts
        self.names = names
        self.name = "+".join(names)
        self.classifier_only = any(p.classifier_only for p in parts)
        self.needs_groups = any(p.needs_groups for p in parts)

    def bind(self, design, y, groups, loss, sample_weight=None):
        return BoundObjectives(
            [p.bind(design, y, groups, loss, sample_weight) for p in self.parts], self.names)

    def metric_name(self, is_classifier):
        """``None``: each member has its own metric (see :meth:`metric_names`)."""
        return None

    def metric_names(self, is_classifier):
        """Member name -> its hard-prediction metric's name, or ``None`` if it has none.

        Examples
        --------
        >>> from skunlearn.objectives import Objectives
        >>> Objectives(["demographic_parity", "robustness"]).metric_names(True)
        {'demographic_parity': 'demographic_parity_difference', 'robustness': None}
        """
        return {p.name: p.metric_name(is_classifier) for p in self.parts}

    def __repr__(self):
        return f"Objectives({list(self.parts)!r})"


class BoundObjectives(BoundObjective):
    """Bound member objectives, their rows stacked (see :class:`Objectives`).

    Parameters
    ----------
    parts : list of BoundObjective
    names : list of str
        The members' names.

    Attributes
    ----------
    row_names : list of str
        The members' row names, in order.
    blocks : list of (str, slice)
        Each member's name and its rows in ``F``.
    """

    def __init__(self, parts, names):
        self.parts = list(parts)
        self.row_names = [r for p in self.parts for r in p.row_names]
        self.blocks, start = [], 0
        for name, part in zip(names, self.parts):
            self.blocks.append((name, slice(start, start + len(part.row_names))))
            start += len(part.row_names)

    @property
    def hold_utility(self):
        """Whether the weights hold utility: not when a member is the utility itself."""
        return all(getattr(p, "hold_utility", True) for p in self.parts)

    def anchor(self, theta):
        """Fix the members that are defined from the fitted model (``paper_robustness``)."""
        for part in self.parts:
            if hasattr(part, "anchor"):
                part.anchor(theta)

    def diagnostics(self, theta, is_classifier):
        """Every member's diagnostics (e.g. worst-case accuracy), in one dict."""
        out = {}
        for part in self.parts:
            out.update(part.diagnostics(theta, is_classifier))
        return out

    def value(self, theta, evaluate=True):
        return self.value_and_jacobian(theta)[0]

    def jacobian(self, theta):
        return self.value_and_jacobian(theta)[1]

    def value_and_jacobian(self, theta, evaluate=True):
        """Every member's value and Jacobian, their sums over rows in one pass.

        Always evaluated (``evaluate`` is accepted for the protocol): the members'
        lazy sums over dask rows are computed together, then stacked.
        """
        pairs = [p.value_and_jacobian(theta, evaluate=False) for p in self.parts]
        done = compute(*[a for pair in pairs for a in pair])
        done = done if isinstance(done, tuple) else (done,)
        values = [np.atleast_1d(np.asarray(v, dtype=float)) for v in done[0::2]]
        jacobians = [np.atleast_2d(np.asarray(j, dtype=float)) for j in done[1::2]]
        return np.concatenate(values), np.vstack(jacobians)
