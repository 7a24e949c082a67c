"""Estimator adapters: the exact training objective of each supported model family.

Importing this package registers the built-in adapters (one module each).
"""

from ._adapter import ModelAdapter, adapter_for, register_adapter, supported_estimators
from ._base import LinearModel
from ._multioutput import MultiOutputModel
from .logistic import LogisticRegressionAdapter  # noqa: I001 (registry order)
from .least_squares import LeastSquaresAdapter
from .cross_validated import LogisticRegressionCVAdapter, RidgeCVAdapter
from .glm import GLMAdapter
from .sgd import SGDClassifierAdapter, SGDRegressorAdapter
from .ridge_classifier import RidgeClassifierAdapter
from .mlp import MLPClassifierAdapter, MLPRegressorAdapter
from .daskml import DaskMLLogisticAdapter, DaskMLRegressionAdapter

__all__ = [
    "DaskMLLogisticAdapter",
    "DaskMLRegressionAdapter",
    "GLMAdapter",
    "LeastSquaresAdapter",
    "LinearModel",
    "LogisticRegressionAdapter",
    "LogisticRegressionCVAdapter",
    "MLPClassifierAdapter",
    "MLPRegressorAdapter",
    "MultiOutputModel",
    "ModelAdapter",
    "RidgeCVAdapter",
    "RidgeClassifierAdapter",
    "SGDClassifierAdapter",
    "SGDRegressorAdapter",
    "adapter_for",
    "register_adapter",
    "supported_estimators",
]
