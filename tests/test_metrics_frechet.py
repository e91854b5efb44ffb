"Fréchet distance: closed forms, the scipy sqrtm reference, accumulation, tables and bad input."
import numpy as np
import pytest
import scipy.stats
import torch

from cmrnb.core import DataError
from cmrnb.metrics.frechet import (FeatureStats, FrechetDistance, feature_stats, frechet_distance,
                                   frechet_distance_features, frechet_distance_sqrtm, fvd_table, trace_sqrt_product)
from helpers import fd_self_tol


def _commuting(rng, D):
    "Two covariances sharing eigenvectors Q: Tr sqrt(S1 S2) = sum sqrt(a b) exactly."
    Q = scipy.stats.ortho_group.rvs(D, random_state=rng)
    a, b = rng.uniform(0.1, 3, D), rng.uniform(0.1, 3, D)
    return Q @ np.diag(a) @ Q.T, Q @ np.diag(b) @ Q.T, a, b



@pytest.mark.parametrize("D", [1, 3, 64])
def test_closed_form_known_gaussians(D):
    rng = np.random.default_rng(D)
    S1, S2, a, b = _commuting(rng, D)
    mu1, mu2 = rng.standard_normal(D), rng.standard_normal(D)
    closed = ((mu1 - mu2) ** 2).sum() + (a + b - 2 * np.sqrt(a * b)).sum()   # = |dmu|^2 + sum (sqrt a - sqrt b)^2
    assert abs(frechet_distance(mu1, S1, mu2, S2) - closed) < 1e-9 * max(closed, 1)
    assert abs(frechet_distance_sqrtm(mu1, S1, mu2, S2) - closed) < 1e-7 * max(closed, 1)


def test_scaled_covariance_closed_form():
    "S2 = c S1: Tr sqrt(S1 S2) = sqrt(c) Tr S1."
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 20)); S = X.T @ X / 50
    assert abs(trace_sqrt_product(S, 4 * S) - 2 * np.trace(S)) < 1e-10 * np.trace(S)


def test_samples_converge_to_population_distance():
    "Features drawn from two known Gaussians: the sample distance approaches the population one."
    rng = np.random.default_rng(2)
    S1, S2, a, b = _commuting(rng, 4)
    mu2 = np.array([1., 0, 0, 0])
    truth = 1 + (a + b - 2 * np.sqrt(a * b)).sum()
    f1 = rng.multivariate_normal(np.zeros(4), S1, 200_000)
    f2 = rng.multivariate_normal(mu2, S2, 200_000)
    assert abs(frechet_distance_features(f1, f2) - truth) < 0.03 * truth + 0.01


@pytest.mark.parametrize("N,D", [(300, 16), (600, 128), (129, 128)])
def test_agrees_with_scipy_sqrtm_on_random_features(N, D):
    rng = np.random.default_rng(N + D)
    f1 = rng.standard_normal((N, D)) @ rng.standard_normal((D, D)) * 0.3
    f2 = rng.gamma(2., size=(N + 7, D)) + 0.1
    m1, s1 = feature_stats(f1); m2, s2 = feature_stats(f2)
    ref = frechet_distance_sqrtm(m1, s1, m2, s2)
    assert abs(frechet_distance_features(f1, f2) - ref) < 1e-6 * ref


def test_singular_path_matches_closed_form():
    """Rank-deficient sigma1 (Cholesky fails) goes through the eigendecomposition and still agrees with a closed form.
    Integer X, Y make S1 = X'X (exactly rank 10 of 30) and S2 = Y'Y / 128 exact, the same bits on every CPU. The nonzero
    eigenvalues of S1 S2 are those of B B' / 128 with B = X Y' (integer, exact), so Tr sqrt(S1 S2) = sum of B's singular
    values / sqrt(128): a well-conditioned SVD, good to ~n r eps s_max. Ours meets the inherent float64 limit instead:
    each of the 20 zero eigenvalues of the product is found only to ~D eps |S1| |S2|, and its square root enters the
    trace (scipy's sqrtm of the singular product is no better)."""
    rng = np.random.default_rng(3)
    X = np.round(3 * rng.standard_normal((10, 30))); S1 = X.T @ X
    Y = np.round(3 * rng.standard_normal((100, 30))); S2 = Y.T @ Y / 128
    sv = np.linalg.svd(X @ Y.T, compute_uv=False)
    eps = np.finfo(float).eps
    ref, ref_err = sv.sum() / np.sqrt(128), 10 * 100 * eps * sv[0] / np.sqrt(128)
    tol = 20 * np.sqrt(30 * eps * np.linalg.norm(S1, 2) * np.linalg.norm(S2, 2)) + ref_err
    assert abs(trace_sqrt_product(S1, S2) - ref) < tol
    assert abs(trace_sqrt_product(S2, S1) - ref) < tol   # symmetric in its arguments


def test_self_zero_and_shift_grows():
    rng = np.random.default_rng(4)
    f = rng.standard_normal((500, 10))
    assert abs(frechet_distance_features(f, f)) < fd_self_tol(f)
    d = [frechet_distance_features(f, f + s) for s in (0.1, 0.5, 1.0)]
    assert all(abs(x - 10 * s ** 2) < 1e-9 for x, s in zip(d, (0.1, 0.5, 1.0)))
    assert d[0] < d[1] < d[2]


def test_torch_and_float32_inputs():
    rng = np.random.default_rng(5)
    f1, f2 = rng.standard_normal((100, 5)).astype(np.float32), rng.standard_normal((120, 5)).astype(np.float32)
    a = frechet_distance_features(f1, f2)
    b = frechet_distance_features(torch.from_numpy(f1), torch.from_numpy(f2))
    assert abs(a - b) < 1e-12


def test_ddof_matches_stylegan_convention():
    rng = np.random.default_rng(6)
    f1, f2 = rng.standard_normal((50, 3)), rng.standard_normal((60, 3)) + 1
    m1, m2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1.T, bias=True), np.cov(f2.T, bias=True)   # StyleGAN2-ADA divides by N
    assert abs(frechet_distance_features(f1, f2, ddof=0) - frechet_distance_sqrtm(m1, c1, m2, c2)) < 1e-9


def test_accumulator_equals_one_shot():
    rng = np.random.default_rng(7)
    f1, f2 = rng.standard_normal((300, 6)) + 50, rng.standard_normal((250, 6)) * 2 + 50
    fd = FrechetDistance('cfid')
    for a in np.array_split(f1, 5): fd(a, None)
    for b in np.array_split(f2, 2): fd(None, torch.from_numpy(b))
    assert abs(fd.aggregate() - frechet_distance_features(f1, f2)) < 1e-9
    assert fd.name == 'cfid'
    st = FeatureStats().update(f1[:1]).update(f1[1:])   # a single-row first batch
    assert np.abs(st.cov() - np.cov(f1.T)).max() < 1e-10


@pytest.mark.parametrize("bad,msg", [
    (np.zeros((10, 3, 2)), "features must be [N, D]"),
    (np.full((10, 3), np.nan), "NaN"),
    (np.zeros((1, 3)), "at least 2"),
    (np.zeros((10, 4)), "has 4 features"),
    (np.zeros((3, 3)), "3 samples for 3 features"),
])
def test_bad_input_raises_clearly(bad, msg):
    good = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(DataError, match=msg.replace('[', r'\[').replace(']', r'\]')):
        frechet_distance_features(bad, good) if 'has 4' not in msg else frechet_distance_features(good, bad)


def test_not_psd_and_imaginary_refused():
    with pytest.raises(DataError, match="not positive semi-definite"):
        frechet_distance(np.zeros(2), np.diag([1., -2.]), np.zeros(2), np.eye(2))
    with pytest.raises(DataError, match="covariance has shape"):
        frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


def test_singular_allowed_gives_finite_documented_value():
    rng = np.random.default_rng(8)
    f1, f2 = rng.standard_normal((5, 8)), rng.standard_normal((50, 8))
    d = frechet_distance_features(f1, f2, allow_singular=True)
    assert np.isfinite(d) and d > 0


def test_fvd_table_orders_and_intervals():
    rng = np.random.default_rng(9)
    sets = {'real': rng.standard_normal((300, 3)), 'f2f': rng.standard_normal((300, 3)) + 0.5,
            'ed2es': rng.standard_normal((300, 3)) + 1.5}
    tab = fvd_table(sets, n_boot=30, seed=1, name='cfvd16')
    assert tab.attrs['name'] == 'cfvd16' and len(tab) == 6
    d = tab.set_index(['a', 'b'])
    assert d.loc[('real', 'real'), 'distance'] < d.loc[('real', 'f2f'), 'distance'] < d.loc[('real', 'ed2es'), 'distance']
    assert abs(d.loc[('real', 'ed2es'), 'distance'] - 1.5 ** 2 * 3) < 2.0   # population value 6.75
    assert (tab.lo <= tab.hi).all() and (tab.lo >= 0).all()
    # same seed, same table
    assert fvd_table(sets, n_boot=30, seed=1).equals(tab)
