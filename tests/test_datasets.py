"""The shipped datasets: shapes, labels and group counts after the documented cleaning."""

import numpy as np
import pytest

from skunlearn.datasets import (
    load_adult,
    load_bank_marketing,
    load_compas,
    load_german_credit,
    make_preprocessor,
)

EXPECTED = {
    load_adult: ((45222, 13), {"sex": {"Male": 30527, "Female": 14695},
                               "race": {"White": 38903, "Black": 4228}}),
    load_compas: ((6172, 8), {"race": {"African-American": 3175, "Caucasian": 2103},
                              "sex": {"Male": 4997, "Female": 1175}}),
    load_german_credit: ((1000, 20), {"sex": {"male": 690, "female": 310},
                                      "age_group": {">=25": 851, "<25": 149}}),
    load_bank_marketing: ((45203, 14), {"age": {"22-64": 44225, ">=65": 810, "<=21": 168},
                                        "marital": {"married": 27206, "non-married": 17997}}),
}


@pytest.mark.parametrize("loader", list(EXPECTED), ids=lambda f: f.__name__)
def test_shapes_and_group_counts(loader):
    shape, groups = EXPECTED[loader]
    data = loader()
    assert data.data.shape == shape
    assert len(data.target) == len(data.sensitive_features) == shape[0]
    assert set(np.unique(data.target)) == {0, 1}
    assert not data.data.isna().any().any()
    for column, counts in groups.items():
        observed = data.sensitive_features[column].value_counts().to_dict()
        assert {k: observed[k] for k in counts} == counts
    assert data.DESCR and "Source" in data.DESCR


@pytest.mark.parametrize("loader", list(EXPECTED), ids=lambda f: f.__name__)
def test_numpy_and_return_X_y(loader):
    X, y = loader(as_frame=False, return_X_y=True)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)
    assert X.shape == EXPECTED[loader][0]


def test_compas_filter_is_propublicas():
    frame = load_compas().frame
    assert frame["c_charge_degree"].isin(["F", "M"]).all()


def test_standard_preprocessing_one_hot_encodes_categories():
    adult = load_adult()
    Z = make_preprocessor(adult.data).fit_transform(adult.data)
    assert Z.shape == (45222, 103)  # 5 numeric + 98 category columns
    assert np.allclose(Z[:, :5].mean(axis=0), 0, atol=1e-9)  # scaled numeric columns
