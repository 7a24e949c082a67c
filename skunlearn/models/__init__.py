"""Estimator adapters: the exact training objective of each supported model family.

Importing this package registers the built-in adapters (one module each).
"""

from ._adapter import ModelAdapter, adapter_for, register_adapter, supported_estimators
from ._base import LinearModel
from .logistic import LogisticRegressionAdapter  # noqa: I001 (registry order)
from .least_squares import LeastSquaresAdapter

__all__ = [
    "LeastSquaresAdapter",
    "LinearModel",
    "LogisticRegressionAdapter",
    "ModelAdapter",
    "adapter_for",
    "register_adapter",
    "supported_estimators",
]
