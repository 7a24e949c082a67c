"""Per-row weights ``eps`` that move the target by a requested amount.

Row ``i`` is retrained with weight ``(1 + eps_i)``. To first order the target
moves by ``f^T eps`` and utility by ``u^T eps`` (see :mod:`skunlearn.influence`).
Given the requested change ``goal`` (``-strength * F`` for one step):

Every problem measures weights in the metric ``sum_i m_i eps_i^2`` with ``m`` the
sample weights (all ones by default), so a row of weight 2 and two copies of
it get the same treatment.

* :func:`soft_weights` -- the minimum-norm weights (Qiao et al. 2025, generalised
  to k target rows) ``min 0.5 ||eps||^2  s.t.  f^T eps = goal, u^T eps = 0``,
  i.e. ``eps = A^T (A A^T)^{-1} b`` with ``A = [f, u]^T``; with box bounds,
  ``eps = clip(A^T mu, lo, hi)`` where the ``k + 1`` duals ``mu`` solve
  ``A clip(A^T mu, lo, hi) = b`` (semismooth Newton on the concave dual).
* :func:`curvature_weights` -- also pays the second-order utility cost
  ``0.5 dtheta^T H_U dtheta`` of the parameter move ``dtheta = -B^T eps``,
  ``B = G H^{-1}``: ``min 0.5 eps^T (lam I + B H_U B^T) eps  s.t. f^T eps = goal``,
  solved with the Woodbury identity in ``O(n p^2)``; ``B`` is never formed.
* :func:`hard_weights` -- the baseline: delete (``eps = -1``) the rows whose
  removal most reduces the target.

All of them cost ``O(n k)`` beyond the influences, except the curvature weights
(``O(n p^2)``).

References
----------
Qiao, X., Ding, Y., Cheng, Z., Zhang, W. (2025). Soft weighted machine unlearning.
arXiv:2505.18783 (AAAI 2026).
"""

import warnings

import numpy as np

from ._dask import as_vector, compute, is_dask, persist, stack_columns
from ._linalg import psd_factor

_DEGENERATE = 1e-10
# Holding utility multiplies ||eps||^2 by about 1 / sin^2 of the angle between u and
# the span of the target influences; beyond 100x the constraint is dropped.
_UTILITY_SIN2 = 1e-2


class UnreachableTarget(ValueError):
    """No weights within the bounds move the target as requested (to first order)."""


def _metric_root(influence):
    """``sqrt(m_i)`` of the per-row metric (``None`` when it is all ones).

    Every weight problem minimises ``sum_i m_i eps_i^2``; substituting
    ``e_i = sqrt(m_i) eps_i`` makes it Euclidean with influences ``f_i / sqrt(m_i)``.
    Rows of zero metric (zero sample weight) have zero influence and keep eps = 0.
    """
    metric = getattr(influence, "metric", None)
    if metric is None:
        return None
    return np.sqrt(as_vector(metric))


def _to_unit(v, root):
    if root is None:
        return v
    scale = np.where(root > 0, 1.0 / np.where(root > 0, root, 1.0), 0.0)
    return v * (scale[:, None] if np.ndim(v) == 2 else scale)


def _row_names(influence, m):
    """Names of the ``m`` constraint rows (the target rows, then ``utility``)."""
    k = influence.f.shape[1]
    names = list(getattr(influence, "target_names", None) or [])
    if len(names) != k:  # an influence without names (a namespace in a doctest)
        names = [f"target row {j}" for j in range(k)]
    return (names + ["utility"])[:m]


def _compromise(M, b, names, goal=None):
    """``b``, or the part of it that weights can deliver when the rows conflict.

    ``M`` (``m x m``, symmetric positive semi-definite) is the Gram matrix of the
    constraint rows' influences and ``b`` what they are asked to move by. When
    rows are linearly dependent (``M`` singular) and ``b`` has a component in
    ``M``'s null space, the requests contradict each other (for example one
    target row asked to fall by two different amounts): no weights meet them
    all. ``b`` is then replaced by its projection on the range of ``M``, which is
    what the least-squares weights ``M^+ b`` deliver, and a warning names the
    rows, what they were asked and the compromise. ``goal`` (default ``b``) is
    the request to report when ``b`` is already offset by pinned rows.
    """
    b = np.asarray(b, dtype=float)
    vals, vecs = np.linalg.eigh(M)
    null = vecs[:, vals <= _DEGENERATE * max(vals.max(), 1e-300)]
    if not null.shape[1]:
        return b
    excess = null @ (null.T @ b)
    if np.linalg.norm(excess) <= 1e-6 * max(np.linalg.norm(b), 1e-300):
        return b  # dependent rows, consistent requests: the pseudo-inverse meets them all
    rows = np.flatnonzero(np.abs(null).max(axis=1) > 1e-4)
    asked = b if goal is None else np.asarray(goal, dtype=float)
    warnings.warn(
        f"The target rows {[names[j] for j in rows]} have linearly dependent (or zero) "
        f"influences and contradictory requests {_fmt(asked[rows])}: no weights move "
        "them all as asked. Using the least-squares compromise, which moves them by "
        f"{_fmt((asked - excess)[rows])} to first order.",
        RuntimeWarning,
        stacklevel=3,
    )
    return b - excess


def _fmt(values):
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def _solve_psd(M, b):
    """``M^{-1} b`` for a small symmetric PSD ``M``; its pseudo-inverse if singular."""
    vals = np.linalg.eigvalsh(M)
    if vals.size and vals.min() > _DEGENERATE * max(vals.max(), 1e-300):
        return np.linalg.solve(M, b)
    return np.linalg.lstsq(M, b, rcond=None)[0]


def _min_norm(A, b, names, M):
    """``A (A^T A)^+ b``: the minimum-norm weights meeting ``A^T eps = b`` (least
    squares, with a warning naming the rows, if the requests contradict each other);
    ``M = A^T A``."""
    return persist(A @ _solve_psd(M, _compromise(M, b, names)))


def _kappa(s, lo, hi):
    """Antiderivative of ``clip(., lo, hi)`` (vanishing at 0), elementwise; lo <= 0 <= hi."""
    c = np.clip(s, lo, hi)
    return c * s - 0.5 * c**2


def _bounded(A, b, lo, hi, names, M, max_iter=200):
    """Solve ``min 0.5||eps||^2  s.t.  A^T eps = b, lo <= eps <= hi`` through its dual
    (``M = A^T A``).

    The dual of this problem is ``max_mu  b^T mu - sum_i kappa(a_i^T mu)`` with
    ``kappa' = clip``; its optimum gives ``eps = clip(A mu, lo, hi)``. The dual is
    concave and piecewise quadratic, so semismooth Newton with backtracking on it
    converges in a few steps; every step is a sum over rows. Contradictory
    requests of dependent rows are first reduced to their least-squares
    compromise (:func:`_compromise`).
    """
    b = _compromise(M, b, names)
    scale = max(np.trace(M), 1e-300)
    mu = np.linalg.lstsq(M, b, rcond=None)[0]

    def dual_loss(m):  # the negated dual, to be minimised
        return float(compute(np.sum(_kappa(A @ m, lo, hi)))) - b @ m

    value = dual_loss(mu)
    tol = 1e-12 * max(np.linalg.norm(b), 1e-300)
    for _ in range(max_iter):
        s = A @ mu
        eps = np.clip(s, lo, hi)
        free = (s > lo) & (s < hi)
        # the residual and the generalised Jacobian of the dual: one pass over the rows
        resid, J = compute(A.T @ eps - b, (A * free[:, None]).T @ A)
        if np.linalg.norm(resid) <= tol:
            return persist(eps)
        J = J + 1e-12 * scale * np.eye(len(b))
        step = np.linalg.solve(J, resid)
        t = 1.0
        while t > 1e-12:
            candidate = mu - t * step
            new_value = dual_loss(candidate)
            if new_value <= value - 1e-4 * t * (resid @ step):
                break
            t *= 0.5
        if t <= 1e-12:
            break
        mu, value = candidate, new_value
    eps = persist(np.clip(A @ mu, lo, hi))
    if np.linalg.norm(compute(A.T @ eps - b)) > 1e-6 * max(np.linalg.norm(b), 1e-300):
        raise UnreachableTarget(
            "the target cannot be reached with weights inside the bounds"
        )
    return eps


def _check_bounds(bounds, n):
    lo, hi = (None, None) if bounds is None else bounds
    # an open side stays a scalar (no length-n array of infinities)
    lo = -np.inf if lo is None else np.broadcast_to(as_vector(lo), (n,))
    hi = np.inf if hi is None else np.broadcast_to(as_vector(hi), (n,))
    if any(compute(np.any(lo > 1e-9), np.any(hi < -1e-9))):
        raise ValueError(
            "bounds must contain 0 (the weight that leaves a row as it is): need "
            f"lower <= 0 <= upper, got {bounds!r}."
        )
    return np.minimum(lo, 0.0), np.maximum(hi, 0.0)  # rounding of accumulated steps


def soft_weights(influence, goal, bounds=None, hold_utility=True):
    """Minimum-norm weights moving the target by ``goal`` while holding utility.

    Parameters
    ----------
    influence : skunlearn.influence.Influence
        Influences ``f`` (n x k) and ``u`` (n,).
    goal : ndarray of shape (k,)
        Requested first-order change of the target (``-strength * F``).
    bounds : tuple (lower, upper) or None
        Box on ``eps``; ``None`` for a side leaves it open. ``(-1, None)`` keeps
        every retraining weight non-negative. Must contain 0.
    hold_utility : bool, default=True
        Add the constraint ``u^T eps = 0``. If ``u`` is nearly parallel to the
        target influences (holding it would multiply ``||eps||^2`` by over 100)
        it is dropped with a warning.

    Returns
    -------
    eps : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from skunlearn.weights import soft_weights
    >>> infl = SimpleNamespace(f=np.array([[1.0], [2.0], [0.0]]), u=np.array([0.0, 1.0, 1.0]))
    >>> eps = soft_weights(infl, np.array([-1.0]))
    >>> np.round([infl.f[:, 0] @ eps, infl.u @ eps], 12)
    array([-1., 0.])
    """
    root = _metric_root(influence)
    goal = np.asarray(goal, dtype=float)
    k, b = len(goal), goal
    A = _to_unit(as_vector(influence.f), root)
    if hold_utility:
        A = stack_columns([A, _to_unit(as_vector(influence.u), root)])
    # Dask rows: every graph below reads the blocks of one persisted A. Derived
    # lazily in each, the same keys would be fused differently in consecutive
    # graphs, which distributed reports as a "different run_spec" for the key.
    A = persist(A)
    # f^T f (k x k), f^T u and u^T u hold all the geometry needed: one pass
    M = compute(A.T @ A)
    if hold_utility and np.any(M[:k, :k]):
        ff, fu, uu = M[:k, :k], M[:k, k], M[k, k]
        # squared distance of u from the span of f, relative to |u|^2
        sin2 = max(uu - fu @ np.linalg.lstsq(ff, fu, rcond=None)[0], 0.0) / max(uu, 1e-300)
        if sin2 > _UTILITY_SIN2:
            b = np.append(goal, 0.0)
        else:
            warnings.warn(
                "The utility influences are nearly parallel to the target influences "
                f"(sin^2 of their angle {sin2:.1e}): holding utility to first order "
                "would take over 100 times the weight norm, so the target alone is "
                "met. weighting='curvature' accounts for utility at second order.",
                RuntimeWarning,
                stacklevel=2,
            )
    if len(b) < M.shape[0]:  # the target rows alone (a slice of the persisted A)
        A, M = A[:, :k], M[:k, :k]
    names = _row_names(influence, len(b))
    if bounds is None:
        e = _min_norm(A, b, names, M)
    else:
        lo, hi = _check_bounds(bounds, A.shape[0])
        if root is not None:  # (0 * inf is nan: zero-metric rows are pinned at 0)
            lo = np.where(root > 0, lo * root, 0.0)
            hi = np.where(root > 0, hi * root, 0.0)
        e = _bounded(A, b, lo, hi, names, M)
    return _to_unit(e, root)


# Largest rank of a utility factor whose n x q product X~ H^{-1} L is formed.
_EXPLICIT_MAX_RANK = 32


def map_utility_factor(model, solver, factor):
    """``(H^{-1} L, Y)``: the utility factor ``L`` carried to the weights.

    ``Y = X~ H^{-1} L`` (``n x q``) is formed when ``L`` has few columns (at
    most 32, and under half the parameters), ``None`` otherwise; see
    :func:`curvature_weights`. ``H^{-1} L`` only shapes the weights (the path
    lands on exact optima), so an iterative ``solver`` stops at 1e-2.

    Examples
    --------
    >>> import numpy as np
    >>> from skunlearn._linalg import SymmetricSolver
    >>> from skunlearn.losses import SquaredLoss
    >>> from skunlearn.models import LinearModel
    >>> from skunlearn.weights import map_utility_factor
    >>> X = np.eye(3); m = LinearModel(X, np.ones(3), np.ones(3), SquaredLoss(), 1.0, np.ones(3), False)
    >>> HinvL, Y = map_utility_factor(m, SymmetricSolver(2 * np.eye(3)), np.eye(3)[:, :1])
    >>> HinvL.ravel(), Y.ravel()
    (array([0.5, 0. , 0. ]), array([0.5, 0. , 0. ]))
    """
    HinvL = solver.solve(factor, rtol=1e-2)  # (p, q)
    # (a model with several outputs has no single X~ H^{-1} L: its products go through G)
    explicit = (factor.shape[1] <= _EXPLICIT_MAX_RANK and 2 * factor.shape[1] < model.n_params
                and model.n_outputs == 1)
    return HinvL, persist(model.design.matvec(HinvL)) if explicit else None


def curvature_weights(influence, goal, utility_hessian=None, reg=1.0, lower=None,
                      max_active_sets=20, utility_factor=None, utility_map=None):
    """Soft weights that also pay the second-order utility cost of the parameter move.

    Solves ``min 0.5 eps^T K eps  s.t.  f^T eps = goal`` (and ``eps >= lower``)
    with ``K = lam I + B H_U B^T``, where ``B = G H^{-1}`` maps weights to the
    parameter move (``dtheta = -B^T eps``) and ``H_U`` is the Hessian of the
    evaluation loss. With ``H_U = L L^T`` and ``W = B L`` (never formed),
    Woodbury gives ``K^{-1} v = (v - W (lam I + W^T W)^{-1} W^T v) / lam``, where
    ``W^T W = L^T H^{-1} (X~^T diag(r^2) X~) H^{-1} L`` is one chunked Gram matrix.

    The lower bound is met by an active set: rows whose weight falls below it
    are pinned there and the problem is solved again on the free rows, whose
    matrix ``K_ff`` has the same identity-plus-low-rank form (its Gram matrix
    restricted to the free rows). Pinned rows are never released, so with
    active bounds this is a feasible approximation of the box-constrained
    optimum rather than the optimum itself.

    Without the ``p x p`` matrices (a Hessian-free model, ``utility_factor`` of
    few columns), ``Y = X~ H^{-1} L`` (``n x q``) is formed instead and every
    product with ``W`` is one with ``Y``.

    Parameters
    ----------
    influence : skunlearn.influence.Influence
    goal : ndarray of shape (k,)
    utility_hessian : ndarray of shape (p, p), default=None
        ``H_U``, positive semi-definite (or give ``utility_factor``).
    reg : float, default=1.0
        ``lam`` relative to the mean non-zero eigenvalue of ``B H_U B^T`` (the
        utility cost of a unit-norm weight change along a typical direction the
        parameters can move in). Large values give the minimum-norm soft
        weights; small values the cheapest parameter move, whatever the weights.
    lower : ndarray of shape (n_samples,) or None
        Lower bound of each ``eps_i`` (at most 0), e.g. ``-1 - eps_so_far`` to
        keep every retraining weight non-negative.
    max_active_sets : int, default=20
        Bound on the active-set rounds.
    utility_factor : ndarray of shape (p, q), default=None
        ``L`` with ``L L^T = H_U`` (or a low-rank approximation of it), instead of
        ``utility_hessian``.
    utility_map : tuple, default=None
        :func:`map_utility_factor` of the factor, computed once for several calls
        (instead of ``utility_hessian`` and ``utility_factor``).

    Returns
    -------
    eps : ndarray of shape (n_samples,)

    Raises
    ------
    UnreachableTarget
        When the rows left free cannot move the target at all.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skunlearn.influence import Influence
    >>> from skunlearn.models import LogisticRegressionAdapter as adapter
    >>> from skunlearn.objectives import EvaluationLoss, get_objective
    >>> from skunlearn.weights import curvature_weights
    >>> rng = np.random.default_rng(0)
    >>> A = rng.integers(0, 2, 300)
    >>> X = rng.normal(size=(300, 2)) + A[:, None]
    >>> y = (X.sum(axis=1) + rng.normal(size=300) > 1).astype(int)
    >>> est = LogisticRegression().fit(X, y)
    >>> model = adapter.build(est, X, y, None)
    >>> theta, info = model.polish(adapter.parameters(est))
    >>> target = get_objective("demographic_parity").bind(
    ...     model.design, model.y, (A, ["0", "1"]), model.loss)
    >>> utility = EvaluationLoss().bind(model.design, model.y, None, model.loss)
    >>> infl = Influence(model, theta, info["solver"], target, utility)
    >>> goal = -infl.target_value
    >>> eps = curvature_weights(infl, goal, utility.hessian(theta))
    >>> np.allclose(infl.f.T @ eps, goal)
    True
    >>> bounded = curvature_weights(infl, goal, utility.hessian(theta), lower=-0.5)
    >>> bool(bounded.min() >= -0.5), np.allclose(infl.f.T @ bounded, goal)
    (True, True)
    """
    model, solver = influence.model, influence.solver
    root = _metric_root(influence)
    r = _to_unit(influence.row_scales, root)
    f = _to_unit(as_vector(influence.f), root)
    goal = np.asarray(goal, dtype=float)
    names = _row_names(influence, len(goal))
    n = len(f)
    lo = None
    if lower is not None:
        lo = np.broadcast_to(as_vector(lower), (n,))
        lo = lo if root is None else np.where(root > 0, lo * root, 0.0)
    if root is not None:  # the scaled rows once on the workers (see soft_weights)
        r, f, lo = persist(r, f, lo)
    G = model.gradient_operator(r)  # rows g_i / sqrt(m_i)
    if utility_map is None:
        L = psd_factor(utility_hessian) if utility_factor is None else utility_factor
        utility_map = map_utility_factor(model, solver, L)
    # W = G H^{-1} L (= diag(r) X~ H^{-1} L for one output): through G (one Gram
    # G^T G) or, when q is small, as Y = X~ H^{-1} L itself (n x q, a few columns),
    # cheaper and nothing p x p.
    HinvL, Y = utility_map

    def W_T(V):
        """``L^T H^{-1} G^T V`` for ``V`` of shape (n, m), unevaluated for dask rows."""
        return Y.T @ (r[:, None] * V) if Y is not None else HinvL.T @ G.rmatvec_lazy(V)

    def W(u, free):
        """``W_f u = diag(free) G H^{-1} L u`` for ``u`` of shape (q,) (every row when
        ``free`` is None)."""
        out = r * (Y @ u) if Y is not None else G.matvec(HinvL @ u)
        return out if free is None else np.where(free, out, 0.0)

    # With S = lam I + W_f^T W_f, the free rows' solution is
    #   e_f = (diag(free) f mu - W_f S^{-1} (W_f^T f mu + lam W^T e_S)) / lam,
    # where mu solves M mu = goal - f^T e_S + (W_f^T f)^T S^{-1} W^T e_S with
    #   M = (f^T diag(free) f - (W_f^T f)^T S^{-1} W_f^T f) / lam:
    # every sum over rows is a k- or q-column reduction, all taken in one pass.
    # e: the last round's weights; fixed: rows pinned at their bound (None: no row,
    # so the first round, usually the only one, holds no length-n vector of zeros)
    e = fixed = below = None
    gram_all, pinned_gram = None, 0.0
    for _ in range(max_active_sets):
        next_fixed = fixed
        if below is not None:  # pin the rows the last round put below their bound
            if not is_dask(below) and not below.any():
                break
            next_fixed = below if fixed is None else fixed | below
        if next_fixed is None:
            free, pinned = None, None
            sums = [f.T @ f, np.zeros(f.shape[1]), W_T(f)]
            if Y is not None:
                sums.append(Y.T @ (r[:, None] ** 2 * Y))
        else:
            # a pinned row keeps its value (the last round's e there), a new one its bound
            pinned = np.where(next_fixed, np.where(below, lo, e), 0.0)
            if not is_dask(below):
                e = None  # only a cluster's round can end here on e (see below)
            free = ~next_fixed
            free_f = free[:, None] * f
            sums = [f.T @ free_f, f.T @ pinned,
                    W_T(stack_columns([free_f, pinned]))]  # W_f^T f, W^T e_S
            if Y is not None:
                sums.append(Y.T @ (np.where(free, r, 0.0)[:, None] ** 2 * Y))
        if Y is None:  # G^T G; after the first round only the pinned rows again
            sums.append(G.gram_lazy() if gram_all is None else G.masked_gram_lazy(next_fixed))
        if is_dask(below):
            # On a cluster the last round's bound test rides along with this
            # round's sums (one round trip a round; the final round's sums are
            # computed in vain).
            sums.append(below.any())
        M, f_pinned, both, gram, *moved = compute(*sums)
        if moved and not moved[0]:
            break
        if pinned is None:  # W^T e_S = 0
            both = np.column_stack([both, np.zeros(len(both))])
        fixed = next_fixed
        if Y is not None:
            WtW = gram
        else:
            if gram_all is None:
                gram_all = gram
            else:
                pinned_gram = gram
            WtW = HinvL.T @ (gram_all - pinned_gram) @ HinvL  # (q, q), free rows only
        trace = float(np.trace(WtW)) if WtW.size else 0.0
        rhs = goal - f_pinned
        if trace > 0:
            lam = reg * trace / WtW.shape[0]
            inner_matrix = lam * np.eye(WtW.shape[0]) + WtW
            Sf = np.linalg.solve(inner_matrix, both[:, :-1])
            Sp = np.linalg.solve(inner_matrix, both[:, -1])
            M = (M - both[:, :-1].T @ Sf) / lam
            rhs = rhs + both[:, :-1].T @ Sp
        if not np.any(np.abs(M) > 0):
            raise UnreachableTarget(
                "the free rows' influences on the target are all zero"
            )
        mu = _solve_psd(M, _compromise(M, rhs, names, goal=goal))
        e_free = f @ mu if free is None else np.where(free, f @ mu, 0.0)
        if trace > 0:
            e_free = (e_free - W(Sf @ mu + lam * Sp, free)) / lam
        e = e_free if pinned is None else pinned + e_free
        if lo is None:
            break
        e = persist(e)  # before below, whose graph then holds none of e's lazy part
        below = e < lo - 1e-12 * (1.0 + np.abs(lo))
        below = persist(below if fixed is None else ~fixed & below)
    if lo is not None:
        e = np.maximum(e, lo)
    return persist(_to_unit(e, root))


def hard_weights(influence, goal, fraction=None, available=None, keep=None):
    """Delete (``eps_i = -1``) the rows whose removal moves the target most toward ``goal``.

    Rows are ranked by ``-f_i . goal / ||goal||``: the first-order change of the
    target, projected on the requested direction, when row ``i`` is removed.
    With ``fraction=None``, the fewest top rows whose predicted total reaches
    ``||goal||`` are removed (all helpful rows, with a warning, if it is never
    reached); otherwise the top ``fraction`` of the rows. Rows outside
    ``available`` (a boolean mask; already deleted on a path) are never chosen.

    ``keep`` protects cells of rows from being emptied: a pair ``(codes, floor)``
    of an integer cell per row (e.g. group and label) and the number of
    ``available`` rows each cell must keep, so a path never deletes a whole group.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from skunlearn.weights import hard_weights
    >>> infl = SimpleNamespace(f=np.array([[0.5], [-0.1], [0.3]]), u=np.zeros(3))
    >>> hard_weights(infl, np.array([-0.6]))
    array([-1.,  0., -1.])
    >>> cells = (np.array([0, 1, 0]), np.array([1, 1]))   # cell 0 keeps one row
    >>> hard_weights(infl, np.array([-0.6]), keep=cells)
    array([-1.,  0.,  0.])
    """
    f = np.asarray(influence.f, dtype=float)
    goal = np.asarray(goal, dtype=float)
    norm = np.linalg.norm(goal)
    direction = goal / norm if norm > 0 else goal
    gain = -(f @ direction)  # first-order move along the goal when row i is deleted
    if available is not None:
        gain = np.where(available, gain, -np.inf)
    order = np.argsort(-gain, kind="stable")
    if keep is not None:
        codes, floor = keep
        codes = np.asarray(codes)
        left = np.bincount(
            codes, weights=None if available is None else available.astype(float),
            minlength=len(floor),
        )
        allowed = np.maximum(left - np.asarray(floor), 0)
        ordered_codes = codes[order]
        # rank of each ordered row within its cell: rows beyond the cell's allowance stay
        rank = np.empty(len(order), dtype=np.int64)
        for cell in np.unique(ordered_codes):
            where = np.flatnonzero(ordered_codes == cell)
            rank[where] = np.arange(len(where))
        order = order[rank < allowed[ordered_codes]]
    gains = gain[order]
    if fraction is not None:
        m = min(int(round(fraction * len(f))), int(np.sum(np.isfinite(gains))))
    else:
        reached = np.cumsum(np.where(np.isfinite(gains), gains, 0.0)) >= norm
        if reached.any():
            m = int(np.argmax(reached)) + 1
        else:
            helpful = np.isfinite(gains) & (gains > 0)
            m = int(np.sum(helpful))
            warnings.warn(
                f"Deleting all {m} helpful rows moves the target by only "
                f"{gains[helpful].sum():.3g} of the {norm:.3g} requested (first order).",
                RuntimeWarning,
                stacklevel=2,
            )
    eps = np.zeros(len(f))
    eps[order[:m]] = -1.0
    return eps
