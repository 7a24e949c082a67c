"""skunlearn: soft-weighted machine unlearning for fitted scikit-learn linear models.

Wrap a fitted LogisticRegression, Ridge, LinearRegression (or another family of
:func:`supported_estimators`: CV variants, GLMs, SGD, RidgeClassifier, an MLP's
output layer) in :class:`SoftUnlearner` to remove a fairness gap by reweighting
its training rows through influence functions, without retraining from scratch;
in :class:`Forgetter` to remove given training rows from it.
"""

from ._unlearner import SoftUnlearner
from .forget import Forgetter
from .models import supported_estimators
from .objectives import available_objectives

__version__ = "0.1.0"

__all__ = [
    "Forgetter",
    "SoftUnlearner",
    "available_objectives",
    "supported_estimators",
    "__version__",
]
