"""Turn ``sensitive_features`` into integer group codes, the way fairlearn groups rows.

Several sensitive columns define their intersections as groups, as in
:class:`fairlearn.metrics.MetricFrame`.
"""

import numpy as np
import pandas as pd


def encode_groups(sensitive_features, n_samples):
    """Return ``(codes, labels)``: an int code per row and the sorted group labels.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        1-D array, list, pandas Series (categorical too), 2-D array or DataFrame.
    n_samples : int
        Expected number of rows.

    Returns
    -------
    codes : ndarray of shape (n_samples,)
        Group index of each row into ``labels``.
    labels : list of str
        Group names; for several columns the values joined by ``", "``.

    Examples
    --------
    >>> from skunlearn._groups import encode_groups
    >>> codes, labels = encode_groups(["b", "a", "b"], 3)
    >>> codes.tolist(), labels
    ([1, 0, 1], ['a', 'b'])
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["F", "M", "F"], "race": ["x", "x", "y"]})
    >>> encode_groups(df, 3)[1]
    ['F, x', 'F, y', 'M, x']
    """
    if sensitive_features is None:
        raise ValueError(
            "sensitive_features is required for a group fairness objective: pass the "
            "group of each row, e.g. fit(X, y, sensitive_features=A)."
        )
    if isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features
    elif isinstance(sensitive_features, pd.Series):
        frame = sensitive_features.to_frame()
    else:
        values = np.asarray(sensitive_features, dtype=object)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise ValueError(
                "sensitive_features must be 1-D or 2-D, got an array of shape "
                f"{values.shape}."
            )
        frame = pd.DataFrame(values)
    if len(frame) != n_samples:
        raise ValueError(
            f"sensitive_features has {len(frame)} rows but X has {n_samples}; they "
            "must describe the same rows."
        )
    if frame.isna().to_numpy().any():
        raise ValueError(
            "sensitive_features contains missing values (NaN or None); assign those "
            "rows a group of their own or drop them."
        )
    # Factorise each column (sorted by value), combine the codes in mixed radix and
    # keep the combinations that occur: no per-row strings, O(n log n) on integers.
    combined = np.zeros(len(frame), dtype=np.int64)
    uniques = []
    for j in range(frame.shape[1]):
        codes_j, uniques_j = pd.factorize(frame.iloc[:, j], sort=True)
        combined = combined * len(uniques_j) + codes_j
        uniques.append([str(u) for u in uniques_j])
    present, codes = np.unique(combined, return_inverse=True)
    return codes.astype(np.intp), combined_labels(present, uniques)


def combined_labels(present, uniques):
    """Names of mixed-radix combined codes ``present`` given each column's sorted labels.

    Examples
    --------
    >>> from skunlearn._groups import combined_labels
    >>> combined_labels([0, 3], [["F", "M"], ["x", "y"]])
    ['F, x', 'M, y']
    """
    labels = []
    for key in present:
        parts = []
        for values in reversed(uniques):
            key, index = divmod(int(key), len(values))
            parts.append(values[index])
        labels.append(", ".join(reversed(parts)))
    return labels
