"Phenotypes: analytic shapes, the phantom's ground truth, the 100 ACDC patients, and bad input."
import warnings
import numpy as np
import pytest
from cmrnb.core import DataError
from cmrnb.data.study import Study, LV, MYO, RV, LA, RA
from cmrnb.analysis.phenotypes import (volumes, sax_phenotypes, lax_phenotypes, detect_es, sphericity_index,
                                       min_area_rect, cohort_phenotypes)


def cylinder_stack(radii_mm, n_slices=10, dz=8., dxy=1.25, size=96):
    "LV cavity discs of the given radius (mm) per frame, a 3 mm myocardial ring, same in every slice."
    yy, xx = (np.mgrid[:size, :size] - size / 2 + .5) * dxy
    rr = np.hypot(yy, xx)
    m = np.zeros((len(radii_mm), n_slices, size, size), np.uint8)
    for t, r in enumerate(radii_mm):
        m[t, :, rr < r + 3] = MYO; m[t, :, rr < r] = LV
    return Study(np.zeros(m.shape, np.float32), (dz, dxy, dxy), m, source='cylinder')


def test_cylinder_volumes_match_closed_form():
    radii = [25., 22., 18., 16., 20.]
    s = cylinder_stack(radii)
    v = volumes(s.mask, s.spacing)['lv']
    exact = np.pi * np.array(radii) ** 2 * 10 * 8. / 1000
    assert np.all(np.abs(v / exact - 1) < 0.03)
    p = sax_phenotypes(s, warn=False)
    assert p.frames == {'ed': 0, 'es': 3}
    ef = (25 ** 2 - 16 ** 2) / 25 ** 2 * 100
    assert abs(p['LVEF'] - ef) < 1.0
    myo = np.pi * (28 ** 2 - 25 ** 2) * 80 / 1000 * 1.05
    assert abs(p['LVM'] / myo - 1) < 0.05
    assert np.isnan(p['RVEF']) and 'no RV cavity' in p.reasons['RVEF']


def test_sphericity_of_rotated_ellipse_in_mm():
    yy, xx = np.mgrid[:200, :200] - 100.
    for deg in (0, 35, 90):
        th = np.radians(deg)
        u, w = xx * np.cos(th) + yy * np.sin(th), -xx * np.sin(th) + yy * np.cos(th)
        ell = (u / 60) ** 2 + (w / 30) ** 2 <= 1
        assert abs(sphericity_index(ell, (1., 1.)) - 0.5) < 0.015
    # anisotropic pixels: a 20 x 40 pixel box with dy = 2, dx = 1 mm is a 40 x 40 mm square
    box = np.zeros((64, 64), bool); box[10:30, 10:50] = True
    assert abs(sphericity_index(box, (2., 1.)) - 1.0) < 1e-9
    a, b, _ = min_area_rect(np.array([[0, 0], [4, 0], [4, 1], [0, 1]]))
    assert np.allclose((a, b), (1., 4.), rtol=0, atol=1e-9)


def test_bad_input_errors_and_reasons():
    s = cylinder_stack([25., 16.])
    with pytest.raises(DataError, match='cylinder: has no mask'): sax_phenotypes(s.replace(mask=None))
    with pytest.raises(DataError, match='mask must be'): volumes(np.zeros((8, 8), np.uint8), (1, 1, 1))
    with pytest.raises(DataError, match='spacing'): volumes(s.mask, (1., 1.))
    with pytest.raises(DataError, match='at least 2 labelled frames'): detect_es(s.replace(labelled=(0,)))
    with pytest.raises(DataError, match='one slice'): lax_phenotypes(s)
    one_class = (s.mask == LV).astype(np.uint8)      # LV only: no myocardium, no RV
    p = sax_phenotypes(s.replace(mask=one_class), warn=False)
    assert p['LVEF'] > 0 and np.isnan(p['LVM']) and np.isnan(p['RVEDV'])
    assert 'myocardium' in p.reasons['LVM'] and 'RV' in p.reasons['RVEDV']
    with pytest.warns(UserWarning, match='NaN phenotypes'):
        p = sax_phenotypes(s.replace(mask=np.zeros_like(s.mask)))
    assert all(np.isnan(v) for v in p.values())
    df, errors = cohort_phenotypes([s, s.replace(mask=None, source='broken')])
    assert len(df) == 1 and errors[0][0] == 'broken' and 'has no mask' in str(errors[0][1])


# --- the phantom's ground truth -------------------------------------------------------------------------------------
def _phantom():
    from cmrnb.data import phantom
    return phantom


@pytest.mark.parametrize('seed', [0, 1])
def test_phantom_sax_phenotypes(seed):
    ph = _phantom()
    subj = ph.sample_subject(seed)
    # thin slices: with 8 slices Simpson's base-plane error alone reaches ~5 % at ES (measured), beyond the 3 % aim
    s = ph.sax_cine(subj, n_frames=8, size=96, n_slices=30, snr=None, seed=seed, fov=160)
    p = sax_phenotypes(s, warn=False)
    gt = s.phenotypes
    for k in ('LVEDV', 'LVESV', 'RVEDV', 'RVESV', 'LVM'):
        assert abs(p[k] / gt[k] - 1) < 0.03, (k, p[k], gt[k])
    for k in ('LVEF', 'RVEF'):
        assert abs(p[k] - gt[k]) < 1.5, (k, p[k], gt[k])
    assert detect_es(s) == s.es


def test_phantom_lax_phenotypes():
    ph = _phantom()
    s = ph.lax_cine(ph.sample_subject(3), n_frames=8, size=128, snr=20, seed=3)
    p = lax_phenotypes(s, warn=False)
    gt = s.phenotypes
    assert abs(p['LV_area'] / gt['LV_area'] - 1) < 0.03
    assert abs(p['sphericity_index'] - gt['sphericity_index']) < 0.03


# --- ACDC: 100 patients with expert ED/ES masks ---------------------------------------------------------------------
def _read_acdc():
    from cmrnb.data.io import read_acdc
    return read_acdc


def test_acdc_patient001(real_data):
    read_acdc = _read_acdc()
    p = sax_phenotypes(read_acdc(real_data/'acdc-training'/'patient001'), warn=False)
    assert abs(p['LVEDV'] - 295.5) < 0.1 and abs(p['LVESV'] - 225.6) < 0.1 and abs(p['LVEF'] - 23.7) < 0.1


def test_acdc_all_patients_by_group(real_data):
    read_acdc = _read_acdc()
    folders = sorted((real_data/'acdc-training').glob('patient*'))
    assert len(folders) == 100
    df, errors = cohort_phenotypes([lambda f=f: read_acdc(f) for f in folders])
    assert errors == [] and len(df) == 100
    assert df[['LVEDV', 'LVESV', 'LVEF', 'LVM', 'RVEDV', 'RVEF']].notna().all().all()
    assert ((df.LVESV < df.LVEDV) & (df.LVEDV > 20) & (df.LVEDV < 600)).all()
    lvef = df.groupby('condition').LVEF.mean()
    assert (df.condition.value_counts() == 20).all()
    # README plausibility: NOR ~62, MINF ~31, DCM ~20, HCM ~70, RV ~57 (RVEF ~34)
    for g, ref in {'healthy': 62, 'MINF': 31, 'DCM': 20, 'HCM': 70, 'RV': 57}.items():   # read_acdc: NOR -> 'healthy'
        assert abs(lvef[g] - ref) < 5, (g, lvef[g])
    assert abs(df[df.condition == 'RV'].RVEF.mean() - 34) < 5
