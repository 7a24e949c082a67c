"""The standard preprocessing used by the command-line audit, examples and benchmarks."""

from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def make_preprocessor(X, *, sparse_output=False):
    """Scale the numeric columns of ``X`` and one-hot encode the others.

    Parameters
    ----------
    X : pandas.DataFrame
        Features, used only to find which columns are numeric.
    sparse_output : bool, default=False
        Return a sparse matrix from ``transform``.

    Returns
    -------
    preprocessor : sklearn.compose.ColumnTransformer
        Unfitted transformer (unknown categories at predict time are ignored).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skunlearn.datasets import load_german_credit, make_preprocessor
    >>> german = load_german_credit()
    >>> model = make_pipeline(make_preprocessor(german.data), LogisticRegression())
    >>> model.fit(german.data, german.target).score(german.data, german.target) > 0.7
    True
    """
    numeric = list(X.select_dtypes("number").columns)
    categorical = [c for c in X.columns if c not in numeric]
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=sparse_output),
                categorical,
            ),
        ],
        sparse_threshold=1.0 if sparse_output else 0.0,
    )
