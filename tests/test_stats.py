"Statistics (cmrnb.stats) against their formulas, scipy and pingouin; bad input; plots written as PNG."
import numpy as np
import pandas as pd
import pytest
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import pingouin as pg
from scipy import stats as sps
from cmrnb.core import DataError
from cmrnb.stats import (bland_altman, bland_altman_plot, bland_altman_grid, correlation, correlation_plot, violin_plot,
                         kde_vs_covariate)


@pytest.fixture
def strain_pairs():
    rng = np.random.default_rng(0)
    truth = rng.normal(-0.2, 0.03, 120)
    return truth + 0.015 + rng.normal(0, 0.02, 120), truth + rng.normal(0, 0.01, 120)


def test_bland_altman_formula(strain_pairs):
    a, b = strain_pairs
    r = bland_altman(a, b)
    d = a - b; n = len(d); bias = d.sum() / n; sd = np.sqrt(((d - bias) ** 2).sum() / (n - 1))
    t = sps.t.ppf(0.975, n - 1)
    assert abs(r['bias'] - bias) < 1e-12 and abs(r['sd'] - sd) < 1e-12
    assert abs(r['loa_low'] - (bias - 1.96 * sd)) < 1e-12 and abs(r['loa_high'] - (bias + 1.96 * sd)) < 1e-12
    assert np.abs(np.array(r['bias_ci']) - (bias - t * sd / np.sqrt(n), bias + t * sd / np.sqrt(n))).max() < 1e-12
    se = np.sqrt(3 * sd ** 2 / n)
    assert np.abs(np.array(r['loa_low_ci']) - (bias - 1.96 * sd - t * se, bias - 1.96 * sd + t * se)).max() < 1e-12
    assert np.abs(np.array(r['loa_high_ci']) - (bias + 1.96 * sd - t * se, bias + 1.96 * sd + t * se)).max() < 1e-12
    assert r['n'] == 120 and abs(r['bias'] - 0.015) < 0.006
    fit = sps.linregress((a + b) / 2, d)
    assert abs(r['slope'] - fit.slope) < 1e-12 and abs(r['slope_p'] - fit.pvalue) < 1e-12


def test_bland_altman_sanity(strain_pairs):
    a, b = strain_pairs
    same = bland_altman(b, b)
    assert abs(same['bias']) < 1e-12 and abs(same['sd']) < 1e-12 and not same['proportional_bias']
    assert abs(bland_altman(b + 0.05, b)['bias'] - 0.05) < 1e-12          # a shifted set: bias equals the shift
    prop = bland_altman(b * 1.5, b)
    assert prop['proportional_bias'] and prop['slope_p'] < 1e-6
    assert not bland_altman(a, b)['proportional_bias']


def test_bland_altman_bad_input(strain_pairs):
    a, b = strain_pairs
    with pytest.raises(DataError, match="different lengths"): bland_altman(a, b[:-1])
    a2 = a.copy(); a2[[3, 7]] = np.nan
    with pytest.raises(DataError, match=r"2 pairs hold NaN or inf \(indices \[3, 7\]\)"): bland_altman(a2, b)
    r = bland_altman(a2, b, nan_policy='omit')
    assert r['n'] == 118 and r['n_omitted'] == 2 and np.isfinite([r['bias'], r['sd']]).all()
    with pytest.raises(DataError, match="at least 3"): bland_altman(a[:2], b[:2])


def test_correlation_against_scipy_and_pingouin():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50); y = 0.6 * x + rng.normal(scale=0.8, size=50)
    p = correlation(x, y)
    ref = sps.pearsonr(x, y); ci = ref.confidence_interval(0.95)
    assert abs(p['r'] - ref.statistic) < 1e-12 and abs(p['p'] - ref.pvalue) < 1e-12
    assert abs(p['ci_low'] - ci.low) < 1e-9 and abs(p['ci_high'] - ci.high) < 1e-9
    s = correlation(x, y, 'spearman'); sref = sps.spearmanr(x, y)
    assert abs(s['r'] - sref.statistic) < 1e-12 and abs(s['p'] - sref.pvalue) < 1e-12
    for method, res in (('pearson', p), ('spearman', s)):
        pgr = pg.corr(x, y, method=method)
        pcol, cicol = ('p_val' if 'p_val' in pgr else 'p-val'), ('CI95' if 'CI95' in pgr else 'CI95%')
        assert abs(res['r'] - pgr['r'].item()) < 1e-12 and abs(res['p'] - pgr[pcol].item()) < 1e-9
        lo, hi = pgr[cicol].item()
        assert abs(res['ci_low'] - lo) < 0.006 and abs(res['ci_high'] - hi) < 0.006     # pingouin rounds to 2 decimals
    c90 = correlation(x, y, alpha=0.10)
    assert p['ci_low'] < c90['ci_low'] < c90['r'] < c90['ci_high'] < p['ci_high']


def test_correlation_sanity_and_bad_input():
    rng = np.random.default_rng(2); x = rng.normal(size=30)
    assert abs(correlation(x, x)['r'] - 1) < 1e-12 and correlation(x, x)['ci_low'] == pytest.approx(1.0)
    assert abs(correlation(x, -x, 'spearman')['r'] + 1) < 1e-12
    assert abs(correlation(x, rng.normal(size=30))['r']) < 0.5
    with pytest.raises(DataError, match="x is constant"): correlation(np.ones(30), x)
    with pytest.raises(DataError, match="at least 4"): correlation(x[:3], x[:3])
    y = x.copy(); y[0] = np.inf
    with pytest.raises(DataError, match="1 pairs hold NaN or inf"): correlation(x, y)
    with pytest.raises(ValueError, match="method"): correlation(x, x, 'kendal')


def test_plots_write_png(tmp_path, strain_pairs):
    a, b = strain_pairs
    figs = {'ba': bland_altman_plot(a, b, title='basal Ecc'),
            'grid': bland_altman_grid({f"{s} {r}": (a, b) for s in ('Ecc', 'Err') for r in ('basal', 'mid', 'apical')}),
            'corr': correlation_plot(a, b, xlabel='generated', ylabel='original'),
            'violin': violin_plot({'original': b, 'generated': a}, ylabel='Ecc')}
    rng = np.random.default_rng(3)
    real = pd.DataFrame({'age': rng.uniform(40, 70, 80), 'LVEDV': rng.normal(140, 20, 80)})
    synth = pd.DataFrame({'age': rng.uniform(40, 70, 80), 'LVEDV': rng.normal(135, 18, 80)})
    figs['kde'] = kde_vs_covariate(real, synth, 'LVEDV', 'age')
    for k, f in figs.items():
        f.savefig(tmp_path / f"{k}.png", dpi=60); plt.close(f)
        assert (tmp_path / f"{k}.png").stat().st_size > 5000
    assert len([ax for ax in figs['grid'].axes if ax.get_visible()]) == 6
    with pytest.raises(DataError, match="synth has no column"): kde_vs_covariate(real, synth.drop(columns='age'), 'LVEDV', 'age')
