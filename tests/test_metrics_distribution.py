"Distribution metrics against independent references (sklearn neighbours, naive loops, closed forms) and bad input."
import numpy as np
import pytest
import scipy.stats
from sklearn.neighbors import NearestNeighbors

from cmrnb.core import DataError
from cmrnb.metrics.distribution import (classifier_two_sample_test, kl_divergence_1d, memorisation_audit, mmd,
                                        plot_closest_pairs, precision_recall, wasserstein_1d)


def _pr_reference(real, fake, k):
    "Precision/recall with sklearn's neighbour search, written independently of cmrnb's."
    def inside(query, support):
        r = NearestNeighbors(n_neighbors=k + 1).fit(support).kneighbors(support)[0][:, k]
        d = np.linalg.norm(query[:, None] - support[None], axis=-1)
        return (d <= r[None]).any(1).mean()
    return inside(fake, real), inside(real, fake)


def test_precision_recall_matches_sklearn_reference():
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((150, 6)), rng.standard_normal((120, 6)) * 1.3 + 0.4
    pr = precision_recall(real, fake, k=3)
    p, r = _pr_reference(real, fake, 3)
    assert abs(pr['precision'] - p) < 1e-12 and abs(pr['recall'] - r) < 1e-12
    assert 0 < pr['precision'] < 1 and 0 < pr['recall'] < 1


def test_precision_recall_mode_dropping():
    "Real: two far clusters; generated: only one of them -> precision about 1, recall about 1/2."
    rng = np.random.default_rng(1)
    c1, c2 = rng.standard_normal((200, 2)), rng.standard_normal((200, 2)) + 50
    real, fake = np.concatenate([c1, c2]), rng.standard_normal((400, 2))
    pr = precision_recall(real, fake, k=3)
    assert abs(pr['precision'] - 1) < 0.03 and abs(pr['recall'] - 0.5) < 0.03
    same = precision_recall(real, real, k=3)
    assert abs(same['precision'] - 1) < 1e-12 and abs(same['recall'] - 1) < 1e-12   # count fractions n/n


def _mmd_naive(x, y, s):
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * s * s))
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_mmd_matches_naive_loops_and_median_heuristic():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((25, 3)), rng.standard_normal((30, 3)) + 0.7
    z = np.concatenate([x, y])
    s = np.median(scipy.spatial.distance.pdist(z))
    assert abs(mmd(x, y) - _mmd_naive(x, y, s)) < 1e-12
    assert abs(mmd(x, y, bandwidth=0.5) - _mmd_naive(x, y, 0.5)) < 1e-12


def test_mmd_linear_is_unbiased_mean_distance():
    "Average over many draws: the linear-kernel estimate is unbiased for |mu_x - mu_y|^2."
    rng = np.random.default_rng(3)
    vals = [mmd(rng.standard_normal((40, 4)), rng.standard_normal((50, 4)) + [1, 0, 0, 0.5], 'linear') for _ in range(300)]
    assert abs(np.mean(vals) - 1.25) < 0.1
    same = [mmd(rng.standard_normal((40, 4)), rng.standard_normal((50, 4)), 'gaussian') for _ in range(50)]
    assert abs(np.mean(same)) < 0.01   # unbiased: about 0, either sign


def test_kl_and_wasserstein_closed_forms():
    rng = np.random.default_rng(4)
    p, q = rng.normal(10, 2, 5000), rng.normal(12, 3, 5000)
    kl = np.log(3 / 2) + (4 + 4) / (2 * 9) - 0.5
    assert abs(kl_divergence_1d(p, q) - kl) < 0.05
    w = wasserstein_1d(rng.normal(0, 1, 20000), rng.normal(0, 3, 20000))
    assert abs(w - 2 * np.sqrt(2 / np.pi)) < 0.05   # same mean: |s1 - s2| E|Z|
    assert abs(wasserstein_1d([0., 1, 2], [5., 6, 7]) - 5) < 1e-12


def test_classifier_two_sample_test_reference_pvalue():
    rng = np.random.default_rng(5)
    real, fake = rng.standard_normal((200, 4)), rng.standard_normal((260, 4)) + 1.0
    r = classifier_two_sample_test(real, fake, seed=0)
    k = round(r['accuracy'] * r['n_test'])
    assert r['n_per_class'] == 200 and r['n_test'] == 200
    assert abs(r['p_value'] - scipy.stats.binom.sf(k - 1, r['n_test'], 0.5)) < 1e-12
    assert abs(r['accuracy'] - scipy.stats.norm.cdf(1.0)) < 0.08   # Bayes accuracy for |delta| = 2: Phi(1)
    null = classifier_two_sample_test(real, rng.standard_normal((200, 4)), seed=0, classifier='mlp')
    assert null['ci_low'] < 0.5 < null['ci_high']


def test_memorisation_audit_matches_sklearn_neighbours():
    rng = np.random.default_rng(6)
    train = rng.standard_normal((120, 10))
    gen = np.concatenate([train[[3, 50]] + 1e-4, rng.standard_normal((40, 10))])
    au = memorisation_audit(gen, train, quantile=0.05)
    d, i = NearestNeighbors(n_neighbors=1).fit(train).kneighbors(gen)
    assert np.abs(au['nn_distance'] - d[:, 0]).max() < 1e-10 and (au['nn_index'] == i[:, 0]).all()
    dt = NearestNeighbors(n_neighbors=2).fit(train).kneighbors(train)[0][:, 1]
    assert np.abs(au['train_nn_distance'] - dt).max() < 1e-10
    assert au['closest'][0][:2] in [(0, 3), (1, 50)] and au['closest'][1][:2] in [(0, 3), (1, 50)]
    assert 2 / 42 <= au['fraction_close'] <= 2 / 42 + 0.1


def test_closest_pairs_figure(tmp_path):
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    rng = np.random.default_rng(7)
    train = rng.random((30, 8, 8)); gen = np.concatenate([train[:2] + 0.001, rng.random((10, 8, 8))])
    au = memorisation_audit(gen, train)
    fig = plot_closest_pairs(gen, train, au, n=3); fig.savefig(tmp_path / 'pairs.png')
    assert (tmp_path / 'pairs.png').stat().st_size > 1000; plt.close(fig)


@pytest.mark.parametrize("fn", [
    lambda: precision_recall(np.zeros((10, 2)), np.full((10, 2), np.nan)),
    lambda: precision_recall(np.zeros((2, 2)), np.zeros((10, 2))),
    lambda: mmd(np.zeros((10, 2)), np.zeros((10, 3))),
    lambda: mmd(np.zeros((10, 2)), np.zeros((10, 2))),          # bandwidth 0: refused, not NaN
    lambda: mmd(np.zeros((1, 2)), np.zeros((10, 2))),
    lambda: kl_divergence_1d(np.zeros((5, 2)), np.arange(5.)),
    lambda: wasserstein_1d(np.array([]), np.arange(5.)),
    lambda: classifier_two_sample_test(np.zeros((10, 2)), np.zeros((0, 2))),
    lambda: memorisation_audit(np.zeros((0, 3)), np.zeros((10, 3))),
    lambda: memorisation_audit(np.zeros((3, 3)), np.zeros((1, 3))),
])
def test_bad_input_raises_data_error(fn):
    with pytest.raises(DataError):
        fn()
