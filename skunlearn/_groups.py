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
    columns = [frame.iloc[:, j].astype(str).to_numpy(dtype=object) for j in range(frame.shape[1])]
    keys = columns[0]
    for column in columns[1:]:  # vectorised join; a row-wise apply is 100x slower
        keys = keys + ", " + column
    labels, codes = np.unique(keys, return_inverse=True)
    return codes.astype(np.intp), [str(label) for label in labels]
