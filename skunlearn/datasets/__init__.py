"""Real fairness datasets shipped with skunlearn, and their standard preprocessing."""

from ._loaders import load_adult, load_bank_marketing, load_compas, load_german_credit
from ._preprocessing import make_preprocessor

__all__ = [
    "load_adult",
    "load_bank_marketing",
    "load_compas",
    "load_german_credit",
    "make_preprocessor",
]
