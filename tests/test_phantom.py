"Integration tests of the cardiac phantom: determinism, physiology per condition, masks vs analytic volumes, tagging, cohort."
import numpy as np, pandas as pd, pytest
from scipy.ndimage import map_coordinates
from cmrnb.data.study import LV, MYO, RV, LA, RA, validate
from cmrnb.data import phantom as ph


def test_deterministic():
    a, b = ph.tiny_sax(4), ph.tiny_sax(4)
    # bit-exact: the same seed and input in one process
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask) and a.phenotypes == b.phenotypes
    assert not np.array_equal(a.image, ph.tiny_sax(5).image)
    t1, t2 = ph.tiny_tagging(2), ph.tiny_tagging(2)
    assert np.array_equal(t1.image, t2.image) and np.array_equal(t1.landmarks, t2.landmarks)


@pytest.mark.parametrize('cond, lo, hi', [('healthy', 55, 70), ('DCM', 5, 40), ('HCM', 55, 85), ('MINF', 20, 52), ('RV', 50, 70)])
def test_lvef_ranges_per_condition(cond, lo, hi):
    ps = [ph.phenotypes(ph.sample_subject(np.random.default_rng([ph.CONDITIONS.index(cond), i]), cond), 20)[0] for i in range(15)]
    ef = np.array([p['LVEF'] for p in ps])
    assert ((ef >= lo) & (ef <= hi)).all(), (cond, ef)
    for p in ps:
        assert 40 < p['LVEDV'] < 450 and 40 < p['LVM'] < 350 and 50 < p['RVEDV'] < 450 and 10 < p['RVEF'] < 75
        assert abs(p['LVSV'] - (p['LVEDV'] - p['LVESV'])) < 1e-9


def test_condition_contrasts():
    def mean(cond, k): return np.mean([ph.phenotypes(ph.sample_subject(np.random.default_rng([7, i]), cond), 10)[0][k] for i in range(20)])
    assert mean('DCM', 'LVEDV') > 1.3 * mean('healthy', 'LVEDV')
    assert mean('DCM', 'sphericity_index') > mean('healthy', 'sphericity_index') + 0.1
    assert mean('HCM', 'LVM') > 1.3 * mean('healthy', 'LVM')
    assert mean('RV', 'RVEDV') > 1.4 * mean('healthy', 'RVEDV') and mean('RV', 'RVEF') < mean('healthy', 'RVEF') - 15


@pytest.mark.parametrize('seed, cond', [(0, 'healthy'), (1, 'DCM'), (2, 'MINF')])
def test_mask_volume_matches_analytic(seed, cond):
    s = ph.sample_subject(seed, cond)
    st = ph.sax_cine(s, n_frames=6, size=96, n_slices=30, snr=None, seed=seed, fov=200)
    vol = (st.mask == LV).sum((1, 2, 3)) * np.prod(st.spacing) / 1e3
    rel = np.abs(vol - st.meta['lv_volume']) / st.meta['lv_volume']
    assert rel.max() < 0.03, rel
    assert st.es == int(np.argmin(st.meta['lv_volume'])) and st.ed == 0


def test_views_contract():
    s, l, t = ph.tiny_sax(3), ph.tiny_lax(3), ph.tiny_tagging(3)
    for st in (s, l, t): validate(st); assert st.image.dtype == np.float32 and 0 <= st.image.min() and st.image.max() <= 1
    assert set(np.unique(s.mask)) == {0, LV, MYO, RV}
    assert {LV, MYO, RV, LA, RA} <= set(np.unique(l.mask)) and l.image.shape[1] == 1
    assert t.image.shape[1] == 3 and t.landmarks.shape == (8, 3, 168, 2)
    assert set(t.demographics) == {'age', 'sex', 'height', 'weight', 'smoking', 'alcohol', 'sbp', 'dbp'}


def test_tags_move_with_landmarks():
    s = ph.sample_subject(2, 'healthy')
    tq = ph.tagged_cine(s, n_frames=8, size=128, snr=None, fov=128, pose=False, T1=1e9)
    inner = np.tile(np.arange(1, 6), 24) + np.repeat(np.arange(24) * 7, 5)
    at = lambda im, p: map_coordinates(im, [p[:, 1], p[:, 0]], order=1)
    for sl in range(3):
        ref = at(tq.image[0, sl], tq.landmarks[0, sl, inner])
        moving = np.corrcoef(ref, at(tq.image[tq.es, sl], tq.landmarks[tq.es, sl, inner]))[0, 1]
        fixed = np.corrcoef(ref, at(tq.image[tq.es, sl], tq.landmarks[0, sl, inner]))[0, 1]
        assert moving > 0.8 and fixed < 0.6, (sl, moving, fixed)


def test_landmarks_on_the_wall_and_strain_reproducible():
    t = ph.tagged_cine(ph.sample_subject(6, 'MINF'), n_frames=8, size=96, snr=None, fov=150, seed=6)
    g = t.landmarks.astype(float).reshape(8, 3, 24, 7, 2)
    for fr in (0, t.es):   # endocardial landmarks sit on the LV-cavity/myocardium border: mask around them is LV or MYO
        labs = t.mask[fr][np.arange(3)[:, None], np.rint(g[fr, :, :, 3, 1]).astype(int), np.rint(g[fr, :, :, 3, 0]).astype(int)]
        assert (labs == MYO).mean() > 0.9
    # independent strain from the stored pixel landmarks x spacing
    mm = g * np.array(t.spacing[1:])[::-1]
    Lr = np.linalg.norm(mm[..., 6, :] - mm[..., 0, :], axis=-1)
    Lc = np.linalg.norm(np.roll(mm, -1, axis=2) - mm, axis=-1).transpose(0, 1, 3, 2)
    assert np.abs(0.5 * (Lr ** 2 / Lr[:1] ** 2 - 1) - t.meta['strain']['Err']).max() < 1e-4
    assert np.abs(0.5 * (Lc ** 2 / Lc[:1] ** 2 - 1) - t.meta['strain']['Ecc']).max() < 1e-4
    # the infarct is akinetic: the least-shortening segment shortens far less than the best one
    ecc = t.meta['strain']['Ecc_segment'][t.es, 1]
    assert ecc.max() > -0.06 and ecc.max() > ecc.min() + 0.07


def test_strain_ranges_healthy():
    t = ph.tagged_cine(ph.sample_subject(3, 'healthy'), n_frames=10, size=64, seed=3)
    s = t.meta['strain']
    assert ((s['Ecc_global'][t.es] > -0.3) & (s['Ecc_global'][t.es] < -0.1)).all()
    assert ((s['Err_global'][t.es] > 0.15) & (s['Err_global'][t.es] < 0.9)).all()
    assert np.abs(s['Ecc_global'][0]).max() < 1e-12   # ED is the reference frame


def test_cohort_correlations():
    rows = []
    for i in range(250):
        sj = ph.sample_subject(np.random.default_rng([99, i]))
        rows.append({**sj.demographics, 'bsa': sj.bsa, 'cond': sj.condition, **ph.phenotypes(sj, 10)[0]})
    df = pd.DataFrame(rows); h = df[df.cond == 'healthy']
    assert 0.3 < h.LVEDV.corr(h.bsa) < 0.95 and 0.3 < h.LVEDV.corr(h.weight) < 0.95   # related, not deterministic
    assert 0.1 < h.LVM.corr(h.sbp) < 0.9
    assert h[h.sex == 1].LVEDV.mean() > h[h.sex == 0].LVEDV.mean() + 15
    assert 0.4 < (df.cond == 'healthy').mean() < 0.8
    assert df.age.between(40, 80).all() and df.weight.between(49, 116).all() and df.height.between(147, 195).all()
    assert df.sbp.between(95, 191).all() and df.dbp.between(60, 106).all()


def test_bad_condition():
    with pytest.raises(ValueError, match="condition 'flu'"): ph.sample_subject(0, 'flu')


def test_write_cohort(tmp_path):
    from cmrnb.data import io
    man = ph.write_cohort(tmp_path, 3, seed=2, workers=2, progress=False, n_frames=4, sax_size=32, n_slices=4, lax_size=32,
                          views=('sax', '4ch', 'tagging'), tag_frames=4, tag_size=32)
    assert len(man) == 3 and (man.error.fillna('') == '').all()
    back = pd.read_csv(tmp_path/'manifest.csv'); assert list(back.subject) == list(man.subject)
    st = io.read_acdc(tmp_path/'sax'/man.subject[0])
    assert (st.mask == LV).any() and (st.mask == RV).any()
    assert {LA, RA} <= set(np.unique(io.read_lax_case(tmp_path/'lax'/man.subject[1]).mask))
    z = np.load(tmp_path/'tagging'/f'{man.subject[2]}.npz'); assert z['landmarks'].shape == (4, 3, 168, 2)
