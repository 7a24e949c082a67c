"""scikit-learn's own estimator checks on SoftUnlearner around each supported model.

The checks call ``fit(X, y)`` without sensitive features, so they run with the
group-free ``robustness`` objective; the group objectives share every code path
after the target is bound.
"""

from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from skunlearn import SoftUnlearner

ESTIMATORS = [
    SoftUnlearner(LogisticRegression(), objective="robustness", strength=0.2),
    SoftUnlearner(Ridge(), objective="robustness", strength=0.2),
    SoftUnlearner(LinearRegression(), objective="robustness", strength=0.2),
]

# Every check passes; list any expected failure here with its reason.
EXPECTED_FAILURES = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator.estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
