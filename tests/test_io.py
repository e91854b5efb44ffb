"Readers and writers of cmrnb.data.io: round trips, every bad-input fault, and the real cases in ../shared/data."
import collections, gzip, shutil
import numpy as np
import nibabel as nib
import pytest
from cmrnb.core import DataError
from cmrnb.data.study import Study, validate, LV, MYO, RV, LA, RA
from cmrnb.data.io import (load_nifti, save_nifti, read_nifti_cine, read_acdc, write_acdc_case, read_mnms2, write_lax_case,
                           read_lax_case, read_dicom_cine, write_dicom_series, read_sunnybrook, shoelace_area, load_cohort)


def toy(T=5, Z=3, H=24, W=20, seed=0, view='sax'):
    "A small short-axis (or 4-chamber) study with LV disk, myocardial ring and RV (and LA/RA in 4ch)."
    yy, xx = np.mgrid[:H, :W]; rng = np.random.default_rng(seed); mask = np.zeros((T, Z, H, W), np.uint8)
    for t in range(T):
        r = 5 - 2 * np.sin(np.pi * t / (T - 1)) ** 2; d = np.hypot(yy - H / 2, xx - W / 2)
        m = mask[t]; m[:, d < r + 2] = MYO; m[:, d < r] = LV; m[:, (np.abs(yy - H / 2) < 4) & (xx < 3)] = RV
        if view == '4ch': m[:, :3, 8:12] = LA; m[:, -3:, 8:12] = RA
    image = (0.1 + 0.6 * (mask == LV) + 0.3 * rng.random(mask.shape)).astype(np.float32)
    return validate(Study(image, (8., 1.25, 1.5), mask, None, 0, 2, np.arange(T) * 30., view, 'toy', 'toy',
                          demographics={'height': 170., 'weight': 70., 'age': 61.}, condition='healthy'))


def lv_ml(s, t, label=LV): return float((s.mask[t] == label).sum() * np.prod(s.spacing) / 1000)


# ---------------------------------------------------------------- round trips (no real data needed)
def test_acdc_round_trip(tmp_path):
    s0 = toy()
    s1 = read_acdc(write_acdc_case(s0, tmp_path, 'patient042'))
    assert np.array_equal(s1.image, s0.image) and s1.spacing == s0.spacing
    assert (s1.ed, s1.es, s1.labelled, s1.condition) == (0, 2, (0, 2), 'healthy')
    assert all(np.array_equal(s1.mask[t], s0.mask[t]) for t in (0, 2))
    assert s1.demographics == s0.demographics and np.allclose(s1.frame_times, s0.frame_times)
    assert (tmp_path/'patient042'/'Info.cfg').read_text().startswith('ED: 1\nES: 3\nGroup: NOR\n')


def test_lax_round_trip_keeps_atria(tmp_path):
    s0 = toy(T=6, Z=1, view='4ch').replace(ed=4, es=1)
    s1 = read_lax_case(write_lax_case(s0, tmp_path, 'c1'))
    assert np.array_equal(s1.image, s0.image) and (s1.ed, s1.es, s1.view) == (4, 1, '4ch')
    assert all(np.array_equal(s1.mask[t], s0.mask[t]) for t in (1, 4)) and {LA, RA} <= set(np.unique(s1.mask).tolist())


def test_rewrite_replaces_case_and_leaves_no_temporaries(tmp_path):
    write_acdc_case(toy(seed=1), tmp_path, 'p'); write_acdc_case(toy(seed=2), tmp_path, 'p')
    assert [p.name for p in tmp_path.iterdir()] == ['p']
    assert np.array_equal(read_acdc(tmp_path/'p').image, toy(seed=2).image)


def test_writer_refuses_labels_acdc_cannot_hold(tmp_path):
    s = toy(); m = s.mask.copy(); m[0, 0, 0, 0] = LA
    with pytest.raises(DataError, match=r'\[4\]'): write_acdc_case(s.replace(mask=m), tmp_path, 'p')
    assert not (tmp_path/'p').exists()                      # nothing half-written


# ---------------------------------------------------------------- bad input: one error type naming file and fault
@pytest.fixture
def case(tmp_path):
    return write_acdc_case(toy(), tmp_path, 'patient001')


def test_truncated_nifti(case):
    f = case/'patient001_frame01.nii.gz'; f.write_bytes(f.read_bytes()[:300]); (case/'patient001_4d.nii.gz').unlink()
    with pytest.raises(DataError, match=r'patient001_frame01\.nii\.gz: not a readable NIfTI'): read_acdc(case)


def test_non_nifti_file(case):
    (case/'patient001_4d.nii.gz').write_bytes(gzip.compress(b'PNG not a nifti' * 30))
    with pytest.raises(DataError, match=r'patient001_4d\.nii\.gz: not a readable NIfTI'): read_acdc(case)


def test_image_mask_shape_mismatch(case):
    save_nifti(np.zeros((3, 24, 19), np.uint8), case/'patient001_frame03_gt.nii.gz', (8, 1.25, 1.5))
    with pytest.raises(DataError, match=r'frame03_gt\.nii\.gz: mask shape \(3, 24, 19\) differs from image shape \(3, 24, 20\)'):
        read_acdc(case)


def test_labels_outside_convention(case):
    save_nifti(np.full((3, 24, 20), 9, np.uint8), case/'patient001_frame01_gt.nii.gz', (8, 1.25, 1.5))
    with pytest.raises(DataError, match=r'frame01_gt\.nii\.gz: mask labels \[9\] are outside the ACDC convention'): read_acdc(case)


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_nan_or_inf_voxels(case, bad):
    a = toy().image.copy(); a[1, 1, 3, 3] = bad; save_nifti(a, case/'patient001_4d.nii.gz', (8, 1.25, 1.5))
    with pytest.raises(DataError, match=r'patient001_4d\.nii\.gz: 1 NaN or inf voxels'): read_acdc(case)


@pytest.mark.parametrize('zooms', [(1.25, 0., 8.), (1.25, np.nan, 8.)])
def test_zero_or_missing_spacing(tmp_path, zooms):
    img = nib.Nifti1Image(np.ones((4, 5, 3), np.float32), None); img.header.set_zooms(zooms); nib.save(img, tmp_path/'x.nii.gz')
    with pytest.raises(DataError, match=r'x\.nii\.gz: voxel spacing .* is zero, negative or missing'): read_nifti_cine(tmp_path/'x.nii.gz')


def test_missing_info_keys_and_file(case):
    (case/'Info.cfg').write_text('ED: 1\nGroup: NOR\nHeight: 170\nWeight: 60\nNbFrame: 5\n')
    with pytest.raises(DataError, match=r"Info\.cfg: missing keys \['ES'\]"): read_acdc(case)
    (case/'Info.cfg').unlink()
    with pytest.raises(DataError, match=r'Info\.cfg: Info\.cfg not found'): read_acdc(case)


def test_dicom_series_order_spacing_and_missing_slice(tmp_path):
    raw0 = np.random.default_rng(0).integers(0, 4000, (3, 4, 8, 7))
    iop = (0.712221, 0.701112, -0.0343949, -0.307716, 0.267798, -0.913015)    # Sunnybrook's oblique orientation
    write_dicom_series(raw0, tmp_path/'s', (-6., 1.3, 1.3), iop, origin=(-28.8, -199.7, 111.2))
    raw, sp, meta = read_dicom_cine(tmp_path/'s')
    assert np.array_equal(raw, raw0[:, ::-1]) and abs(sp[0] - 6) < 1e-3 and np.allclose(sp[1:], (1.3, 1.3), rtol=0, atol=1e-9)
    for n in (7, 8, 9): (tmp_path/'s'/f'{n}.dcm').unlink()                   # slice 2 (instances 7-9) gone
    with pytest.raises(DataError, match=r's: missing slice: gap of 12\.0 mm'): read_dicom_cine(tmp_path/'s')
    (tmp_path/'s'/'1.dcm').unlink()                                          # and one phase of slice 0
    with pytest.raises(DataError, match=r'has 2 frames, others 3 \(missing phase\)'): read_dicom_cine(tmp_path/'s')
    (tmp_path/'s'/'2.dcm').write_text('not dicom')
    with pytest.raises(DataError, match=r'2\.dcm: not a readable DICOM'): read_dicom_cine(tmp_path/'s')


def test_cohort_skips_and_lists_bad_subjects(tmp_path):
    for i in range(3): write_acdc_case(toy(seed=i), tmp_path, f'patient{i:03d}')
    (tmp_path/'patient001'/'patient001_4d.nii.gz').write_bytes(b'xx')
    (tmp_path/'patient002'/'Info.cfg').write_text('ED: 1\n')
    studies, errors = load_cohort(tmp_path, read_acdc, progress=False)
    assert [s.subject for s in studies] == ['patient000']
    assert [p.name for p, _ in errors] == ['patient001', 'patient002'] and all(isinstance(e, DataError) for _, e in errors)
    assert 'patient001_4d.nii.gz' in str(errors[0][1]) and 'missing keys' in str(errors[1][1])


# ---------------------------------------------------------------- real data (../shared/data)
def test_acdc_all_100_patients(real_data):
    "All 100 load; patient001 matches the README exactly; group LVEF means are near the README's; ED > ES everywhere."
    studies, errors = load_cohort(real_data/'acdc-training', read_acdc, progress=False)
    assert errors == [] and len(studies) == 100
    ef = collections.defaultdict(list)
    for s in studies:
        # T = 2 (ED, ES) unless the folder has the 4d cine (the shared copy has one, patient090: T = NbFrame = 12)
        assert s.shape[0] in (2, s.meta['nb_frames']) and s.labelled == tuple(sorted((s.ed, s.es)))
        assert s.mask.max() <= RV and abs(s.image.max() - 1) < 1e-6
        edv, esv = lv_ml(s, s.ed), lv_ml(s, s.es); assert edv > esv > 0
        ef[s.meta['group']].append(100 * (edv - esv) / edv)
        if s.meta['group'] == 'RV': ef['RVEF'].append(100 * (lv_ml(s, s.ed, RV) - lv_ml(s, s.es, RV)) / lv_ml(s, s.ed, RV))
    p90 = studies[89]
    assert p90.shape[0] == 12 and (p90.ed, p90.es) == (3, 10)
    ed_file = load_nifti(real_data/'acdc-training'/'patient090'/'patient090_frame04.nii.gz').data
    assert np.allclose(p90.image[3] * p90.meta['intensity_scale'], ed_file, atol=1e-3)   # the 4d's ED frame is the ED file
    p1 = studies[0]
    assert p1.subject == 'patient001' and p1.condition == 'DCM' and p1.demographics == {'height': 184., 'weight': 95.}
    assert abs(lv_ml(p1, 0) - 295.5) < 0.1 and abs(lv_ml(p1, 1) - 225.6) < 0.1 and abs(ef['DCM'][0] - 23.7) < 0.1
    readme = {'NOR': 62, 'MINF': 31, 'DCM': 20, 'HCM': 70, 'RV': 57, 'RVEF': 34}    # "about" values in the README
    for g, v in readme.items():
        assert len(ef[g]) == 20 and abs(np.mean(ef[g]) - v) < 4, (g, np.mean(ef[g]))


def test_sunnybrook_volumes(real_data):
    "Shoelace volumes from the kept contours match the README to 0.1 mL; mask voxel counts to 3 % (see the notebook)."
    ref = {'SC-HF-I-4': (10, 229.7, 179.6, 21.8), 'SC-HF-I-5': (11, 202.1, 135.3, 33.0)}
    for name, (Z, edv, esv, ef) in ref.items():
        s = read_sunnybrook(real_data/'sunnybrook', name)
        assert s.shape == (20, Z, 256, 256) and (s.ed, s.es) == (19, 6) and s.spacing[0] == pytest.approx(8, abs=1e-3)
        sh = {t: sum(shoelace_area(p) for (tt, _), p in s.meta['contours']['endo'].items() if tt == t) * np.prod(s.spacing) / 1000
              for t in (s.ed, s.es)}
        assert abs(sh[19] - edv) < 0.1 and abs(sh[6] - esv) < 0.1
        assert abs(lv_ml(s, 19) / edv - 1) < 0.03 and abs(lv_ml(s, 6) / esv - 1) < 0.03
        assert abs(100 * (lv_ml(s, 19) - lv_ml(s, 6)) / lv_ml(s, 19) - ef) < 0.5
        assert (s.mask[19] == MYO).sum() > 5000 and (s.mask[6] == MYO).sum() == 0    # epicardium drawn at ED only
        assert s.labelled == (6, 19) and not s.mask[0].any()


def test_sunnybrook_missing_slice(real_data, tmp_path):
    src = real_data/'sunnybrook'/'dicoms'/'SCD0000301'; dst = tmp_path/'SCD0000301'; dst.mkdir()
    _, _, meta = read_dicom_cine(src)
    gone = {n for n, (t, z) in meta['instance'].items() if z == 4}
    for f in src.glob('*.dcm'):
        if int(f.stem) not in gone: (dst/f.name).symlink_to(f)
    with pytest.raises(DataError, match=r'SCD0000301: missing slice: gap of 16\.0 mm between slices 3 and 4'): read_dicom_cine(dst)


def test_mnms2(real_data):
    la = read_mnms2(real_data/'mnms2'/'001', 'la')
    assert la.shape == (25, 1, 256, 256) and (la.ed, la.es, la.labelled, la.view) == (23, 8, (8, 23), '4ch')
    assert set(np.unique(la.mask[23]).tolist()) == {0, LV, MYO, RV} and abs(la.spacing[1] - 1.7188) < 1e-3
    sa = read_mnms2(real_data/'mnms2'/'001', 'sa')
    assert sa.shape == (2, 12, 256, 256) and abs(lv_ml(sa, 0) - 125.6) < 0.1 and abs(lv_ml(sa, 1) - 45.1) < 0.1
    assert abs(100 * (lv_ml(sa, 0) - lv_ml(sa, 1)) / lv_ml(sa, 0) - 64.1) < 0.1


# ---------------------------------------------------------------- the phantom through the writers (where it exists)
def test_phantom_round_trips(tmp_path):
    from cmrnb.data import phantom
    s0 = phantom.tiny_sax(0)
    s1 = read_acdc(write_acdc_case(s0, tmp_path, 'phantom0'))
    assert np.array_equal(s1.image, s0.image) and np.allclose(s1.spacing, s0.spacing) and (s1.ed, s1.es) == (s0.ed, s0.es)
    assert all(np.array_equal(s1.mask[t], s0.mask[t]) for t in (s0.ed, s0.es)) and s1.condition == s0.condition
    l0 = phantom.tiny_lax(0)
    l1 = read_lax_case(write_lax_case(l0, tmp_path, 'lax0'))
    assert np.array_equal(l1.image, l0.image) and (l1.ed, l1.es) == (l0.ed, l0.es)
    assert all(np.array_equal(l1.mask[t], l0.mask[t]) for t in (l0.ed, l0.es)) and {LA, RA} <= set(np.unique(l1.mask[l0.ed]).tolist())
