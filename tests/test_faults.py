"""Fault corpus: the readers in cmrnb.data.io, then checkpoints, the artifact cache and full disks. Every bad
input is built at test time, from the phantom through the package's own writers (so the test runs everywhere) and, where
the fault is about real files, from ../shared/data (`realdata`, skipped where absent). Each must raise `DataError` (or
a subclass: `CheckpointError`, `WriteError`) whose message names the file and the fault; the few documented non-errors
(an absurd cal_max is ignored) assert what the reader does instead."""
import shutil
import numpy as np
import nibabel as nib
import pydicom
import pytest
from cmrnb.core import DataError
from cmrnb.data.study import LV
from cmrnb.data.phantom import tiny_sax, tiny_lax
from cmrnb.data.io import (load_nifti, save_nifti, read_nifti_cine, read_acdc, write_acdc_case, read_mnms2, write_lax_case,
                           read_lax_case, read_dicom_cine, write_dicom_series, read_sunnybrook, load_cohort)


@pytest.fixture(scope='module')
def sax(): return tiny_sax(0)      # 8 frames x 6 slices x 48 x 48, ED 0, ES 3


@pytest.fixture(scope='module')
def lax(): return tiny_lax(0)      # 8 frames x 1 x 64 x 64, ED 0, ES 3


@pytest.fixture
def acdc(tmp_path, sax): return write_acdc_case(sax, tmp_path, 'phantom')      # phantom/phantom_4d.nii.gz, _frame01, _frame04 (+ _gt)


@pytest.fixture
def lax_case(tmp_path, lax): return write_lax_case(lax, tmp_path, 'case')    # case/case_LA_CINE.nii.gz, _LA_ED, _LA_ES (+ _gt), Info.cfg


def raises(fn, *words) -> DataError:
    "`fn()` must raise DataError whose message holds every word (the file's name, the fault)."
    with pytest.raises(DataError) as e: fn()
    for w in words: assert str(w) in str(e.value), (w, str(e.value))
    return e.value


def renifti(path, data=None, affine=None, **header):
    "Rewrite NIfTI `path` with nibabel: new data, a new affine (header zooms follow it) or header fields changed."
    img = nib.load(path); data = np.asanyarray(img.dataobj) if data is None else data
    out = nib.Nifti1Image(data, img.affine, img.header.copy()) if affine is None else nib.Nifti1Image(data, affine)
    for k, v in header.items(): out.header[k] = v
    path.unlink(); nib.save(out, path)


def edit_cfg(folder, old, new):
    cfg = folder/'Info.cfg'; txt = cfg.read_text(); assert old in txt; cfg.write_text(txt.replace(old, new))


def linked_copy(src, dst):
    "`dst` with a symlink to every file of the real folder `src` (which stays untouched)."
    dst.mkdir(parents=True)
    for f in src.iterdir(): (dst/f.name).symlink_to(f)
    return dst


def two_series(folder, a, b) -> list:
    "Two cine series with the same geometry, their files side by side in one folder; returns their SeriesInstanceUIDs."
    for tag, raw in (('a', a), ('b', b)):
        write_dicom_series(raw, folder/tag)
        for f in (folder/tag).glob('*.dcm'): f.rename(folder/f'{tag}{f.name}')
        (folder/tag).rmdir()
    return [str(pydicom.dcmread(folder/f'{t}1.dcm', stop_before_pixels=True).SeriesInstanceUID) for t in 'ab']


def sunnybrook_like(root, study, scd='SCD0000101', name='SC-HF-I-1'):
    "A Sunnybrook-style patient from a phantom study: DICOM cine, circular endo contours at ED and ES, epi at ED, link.csv."
    T, Z, H, W = study.shape
    write_dicom_series(np.round(study.image * 1000), root/'dicoms'/scd, study.spacing)
    link = root/'link.csv'; rows = link.read_text().splitlines() if link.exists() else ['dicom,contour']
    link.write_text('\n'.join(rows + [f'{scd},{name}']) + '\n')
    th = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    for t, kinds in ((study.ed, 'io'), (study.es, 'i')):
        for z in range(Z):
            lv = study.mask[t, z] == LV
            if lv.sum() < 10: continue
            y, x = np.nonzero(lv); r = np.sqrt(lv.sum() / np.pi)
            for k in kinds:
                d = root/'contourfiles'/name/f'{k}-contours'; d.mkdir(parents=True, exist_ok=True)
                rk = r + (2 if k == 'o' else 0)
                np.savetxt(d/f'IM-0001-{z * T + t + 1:04d}-{k}contour-manual.txt',
                           np.c_[x.mean() + rk * np.cos(th), y.mean() + rk * np.sin(th)], fmt='%.2f')
    return root


# ---------------------------------------------------------------- 1. two DICOM series in one folder
def test_two_series_in_one_folder_raise(tmp_path, sax):
    raw = np.round(sax.image * 1000).astype(np.uint16); other = raw[::-1].copy()
    ua, ub = two_series(tmp_path/'mixed', raw, other)
    raises(lambda: read_dicom_cine(tmp_path/'mixed'), 'mixed: holds 2 series', ua, ub, 'series_uid=')
    got, _, meta = read_dicom_cine(tmp_path/'mixed', series_uid=ub)           # the documented way to pick one
    assert got.shape == raw.shape and np.array_equal(got, other) and meta['series_uid'] == ub
    raises(lambda: read_dicom_cine(tmp_path/'mixed', series_uid='1.2.3'), 'mixed: series 1.2.3 not found', ua)


# ---------------------------------------------------------------- 2. mask (or ES frame) off its image's grid
@pytest.mark.parametrize('change, words', [('slice spacing', ('mask spacing', 'differs from image spacing')),
                                           ('origin', ('mask affine differs from image affine', 'misplaced'))])
def test_acdc_mask_off_image_grid(acdc, change, words):
    gt = acdc/'phantom_frame01_gt.nii.gz'; aff = nib.load(gt).affine.copy()
    if change == 'slice spacing': aff[:3, 2] *= 1.1
    else: aff[:3, 3] += 2.
    renifti(gt, affine=aff)
    raises(lambda: read_acdc(acdc), 'phantom_frame01_gt.nii.gz', *words)


def test_mask_grid_tolerates_float_rounding(acdc, sax):
    gt = acdc/'phantom_frame01_gt.nii.gz'; aff = nib.load(gt).affine.copy(); aff[:3, 3] += 1e-4
    renifti(gt, affine=aff)
    assert np.array_equal(read_acdc(acdc).mask[0], sax.mask[0])


def test_acdc_es_frame_off_ed_grid(acdc):
    (acdc/'phantom_4d.nii.gz').unlink(); es = acdc/'phantom_frame04.nii.gz'
    aff = nib.load(es).affine.copy(); aff[:3, 2] *= 0.9; renifti(es, affine=aff)
    raises(lambda: read_acdc(acdc), 'phantom_frame04.nii.gz', "ES frame spacing", "differs from the ED frame's spacing")


def test_lax_and_nifti_cine_masks_off_grid(lax_case, tmp_path, sax):
    gt = lax_case/'case_LA_ES_gt.nii.gz'; aff = nib.load(gt).affine.copy(); aff[1, 3] -= 3.; renifti(gt, affine=aff)
    raises(lambda: read_lax_case(lax_case), 'case_LA_ES_gt.nii.gz', 'mask affine differs')
    dz, dy, dx = sax.spacing
    save_nifti(sax.image, tmp_path/'cine.nii.gz', sax.spacing); save_nifti(sax.mask, tmp_path/'cine_gt.nii.gz', (dz * 1.022, dy, dx))
    raises(lambda: read_nifti_cine(tmp_path/'cine.nii.gz', tmp_path/'cine_gt.nii.gz'), 'cine_gt.nii.gz', 'mask spacing')


@pytest.mark.realdata
def test_real_acdc_mask_half_a_slice_off(real_data, tmp_path):
    src = real_data/'acdc-training'/'patient001'; dst = linked_copy(src, tmp_path/'patient001')
    gt = dst/'patient001_frame01_gt.nii.gz'; img = nib.load(src/gt.name); aff = img.affine.copy()
    aff[:3, 3] += 5 * aff[:3, 2] / np.linalg.norm(aff[:3, 2])           # 5 mm = half a slice (ACDC's affines carry no zooms)
    out = nib.Nifti1Image(np.asanyarray(img.dataobj), aff); out.header.set_zooms(img.header.get_zooms())
    gt.unlink(); nib.save(out, gt)
    raises(lambda: read_acdc(dst), 'patient001_frame01_gt.nii.gz', 'mask affine differs', 'misplaced')


# ---------------------------------------------------------------- 3. Info.cfg ED/ES against the _ED/_ES images
def test_mnms2_info_cfg_disagrees_with_ed_image(lax_case):
    edit_cfg(lax_case, 'ED: 1\n', 'ED: 3\n')
    raises(lambda: read_lax_case(lax_case), 'Info.cfg: ED = 3 disagrees with case_LA_ED.nii.gz', 'cine frame 1')


def test_mnms2_info_cfg_frame_out_of_range(lax_case):
    edit_cfg(lax_case, 'ES: 4\n', 'ES: 40\n')
    raises(lambda: read_lax_case(lax_case), 'Info.cfg: ES = 40 is outside', "cine's frames 1..8")


@pytest.mark.realdata
def test_real_mnms2_info_cfg_checked(real_data, tmp_path):
    dst = linked_copy(real_data/'mnms2'/'001', tmp_path/'001')
    (dst/'Info.cfg').write_text('ED: 24\nES: 9\n')                    # the README's frames 23 and 8, 1-based: agrees
    s = read_mnms2(dst, 'la'); assert (s.ed, s.es) == (23, 8)
    (dst/'Info.cfg').write_text('ED: 23\nES: 9\n')
    raises(lambda: read_mnms2(dst, 'la'), 'Info.cfg: ED = 23 disagrees with 001_LA_ED.nii.gz, which is cine frame 24')
    (dst/'Info.cfg').write_text('ED: 24\nES: 26\n')
    raises(lambda: read_mnms2(dst, 'la'), 'Info.cfg: ES = 26 is outside')


# ---------------------------------------------------------------- 4. fractional frame numbers
@pytest.mark.parametrize('which', ['acdc', 'lax'])
def test_fractional_frame_number(acdc, lax_case, which):
    folder, read, old, new = ((acdc, read_acdc, 'ED: 1\n', 'ED: 1.7\n') if which == 'acdc' else
                              (lax_case, read_lax_case, 'ES: 4\n', 'ES: 4.5\n'))
    edit_cfg(folder, old, new)
    raises(lambda: read(folder), 'Info.cfg', f"{new.split(':')[0]} = '{new.split()[1]}' is not an integer")


def test_whole_float_frame_number_reads(acdc):
    edit_cfg(acdc, 'ES: 4\n', 'ES: 4.0\n')
    assert read_acdc(acdc).es == 3


# ---------------------------------------------------------------- 5. absurd cal_max (documented: ignored and recorded)
def test_absurd_cal_max_is_ignored(acdc, sax):
    renifti(acdc/'phantom_4d.nii.gz', cal_max=1e9)
    s = read_acdc(acdc)
    assert abs(s.image.max() - 1) < 1e-6 and np.allclose(s.image, sax.image, atol=1e-6)    # not squashed to ~1e-9
    assert s.meta['cal_max_ignored'] == pytest.approx(1e9)


def test_plausible_cal_max_is_the_scale(acdc):
    renifti(acdc/'phantom_4d.nii.gz', cal_max=2.)                    # covers the data, within 10 x its maximum
    s = read_acdc(acdc)
    assert abs(s.image.max() - 0.5) < 1e-6 and 'cal_max_ignored' not in s.meta


@pytest.mark.realdata
def test_real_acdc_absurd_cal_max(real_data, tmp_path):
    f = tmp_path/'patient001_frame01.nii.gz'; shutil.copy(real_data/'acdc-training'/'patient001'/f.name, f)
    renifti(f, cal_max=1e9)
    s = read_nifti_cine(f)
    assert abs(s.image.max() - 1) < 1e-6 and s.meta['intensity_scale'] < 1e5 and s.meta['cal_max_ignored'] > 1e8


# ---------------------------------------------------------------- 6. 2D NIfTI (no slice spacing)
def test_2d_nifti_raises(tmp_path, sax, acdc, lax_case):
    dz, dy, dx = sax.spacing
    nib.save(nib.Nifti1Image(sax.image[0, 0].T, np.diag([dx, dy, 1., 1.])), tmp_path/'slice.nii.gz')
    raises(lambda: read_nifti_cine(tmp_path/'slice.nii.gz'), 'slice.nii.gz: is a 2D image (48, 48)', 'no slice spacing')
    (acdc/'phantom_4d.nii.gz').unlink(); f = acdc/'phantom_frame01.nii.gz'
    renifti(f, data=np.asanyarray(nib.load(f).dataobj)[:, :, 2], affine=np.diag([dx, dy, 1., 1.]))
    raises(lambda: read_acdc(acdc), 'phantom_frame01.nii.gz: is a 2D image')
    gt = lax_case/'case_LA_ED_gt.nii.gz'; renifti(gt, data=np.asanyarray(nib.load(gt).dataobj)[:, :, 0], affine=nib.load(gt).affine)
    raises(lambda: read_lax_case(lax_case), 'case_LA_ED_gt.nii.gz: is a 2D image')


@pytest.mark.realdata
def test_real_mnms2_2d_file(real_data, tmp_path):
    dst = linked_copy(real_data/'mnms2'/'001', tmp_path/'001'); f = dst/'001_LA_ES.nii.gz'; img = nib.load(f.resolve())
    f.unlink(); nib.save(nib.Nifti1Image(np.asanyarray(img.dataobj)[:, :, 0], img.affine), f)
    raises(lambda: read_mnms2(dst, 'la'), '001_LA_ES.nii.gz: is a 2D image (256, 256)')


# ---------------------------------------------------------------- 7. Sunnybrook contours off the image
def test_contour_outside_image(tmp_path, sax):
    root = sunnybrook_like(tmp_path, sax)
    s = read_sunnybrook(root, 'SC-HF-I-1'); assert (s.ed, s.es) == (sax.ed, sax.es) and (s.mask[s.es] == LV).any()
    f = sorted((root/'contourfiles'/'SC-HF-I-1'/'i-contours').glob('*.txt'))[0]
    np.savetxt(f, np.loadtxt(f) + [300, 0])
    raises(lambda: read_sunnybrook(root, 'SC-HF-I-1'), f.name, '40 of 40 contour points lie outside the 48 x 48 image')
    np.savetxt(f, [[3.1, 3.1], [3.4, 3.1], [3.4, 3.4]])                   # inside, but around no pixel centre
    raises(lambda: read_sunnybrook(root, 'SC-HF-I-1'), f.name, 'encloses no pixel centre')


def test_cohort_skips_and_reports_bad_contour(tmp_path, sax):
    for i in (1, 2): sunnybrook_like(tmp_path, sax, f'SCD0000{i}01', f'SC-HF-I-{i}')
    f = sorted((tmp_path/'contourfiles'/'SC-HF-I-2'/'o-contours').glob('*.txt'))[-1]; np.savetxt(f, np.loadtxt(f) - 100)
    studies, errors = load_cohort(tmp_path/'dicoms', lambda p: read_sunnybrook(tmp_path, p.name), progress=False)
    assert [s.subject for s in studies] == ['SCD0000101'] and [p.name for p, _ in errors] == ['SCD0000201']
    assert isinstance(errors[0][1], DataError) and f.name in str(errors[0][1]) and 'outside' in str(errors[0][1])


@pytest.mark.realdata
def test_real_sunnybrook_contour_outside_image(real_data, tmp_path):
    src = real_data/'sunnybrook'; root = tmp_path/'sb'; (root/'dicoms').mkdir(parents=True)
    (root/'dicoms'/'SCD0000301').symlink_to(src/'dicoms'/'SCD0000301'); shutil.copy(src/'link.csv', root/'link.csv')
    shutil.copytree(src/'contourfiles'/'SC-HF-I-4', root/'contourfiles'/'SC-HF-I-4')
    f = sorted((root/'contourfiles'/'SC-HF-I-4'/'i-contours').glob('*.txt'))[0]; np.savetxt(f, np.loadtxt(f) + 200)
    raises(lambda: read_sunnybrook(root, 'SC-HF-I-4'), f.name, 'outside the 256 x 256 image')


# ---------------------------------------------------------------- faults of the same family that were already typed
def test_truncated_nifti(acdc):
    f = acdc/'phantom_4d.nii.gz'; f.write_bytes(f.read_bytes()[:500])
    raises(lambda: read_acdc(acdc), 'phantom_4d.nii.gz: not a readable NIfTI')


def test_nan_voxel(acdc, sax):
    a = sax.image.copy(); a[2, 1, 5, 5] = np.nan; save_nifti(a, acdc/'phantom_4d.nii.gz', sax.spacing)
    raises(lambda: read_acdc(acdc), 'phantom_4d.nii.gz: 1 NaN or inf voxels')


def test_missing_info_cfg_key(acdc):
    edit_cfg(acdc, 'Group: NOR\n', '')
    raises(lambda: read_acdc(acdc), "Info.cfg: missing keys ['Group']")


def test_mask_label_outside_convention(acdc, lax_case):
    gt = acdc/'phantom_frame04_gt.nii.gz'; m = np.asanyarray(nib.load(gt).dataobj).copy(); m[0, 0, 0] = 7; renifti(gt, data=m)
    raises(lambda: read_acdc(acdc), 'phantom_frame04_gt.nii.gz: mask labels [7] are outside the ACDC convention')
    gt = lax_case/'case_LA_ED_gt.nii.gz'; m = np.asanyarray(nib.load(gt).dataobj).astype(np.float32); m[0, 0, 0] = 1.5
    renifti(gt, data=m)
    raises(lambda: read_lax_case(lax_case), 'case_LA_ED_gt.nii.gz: mask holds non-integer labels')


def test_dicom_missing_attribute_and_slice(tmp_path, sax):
    raw = np.round(sax.image * 1000).astype(np.uint16); d = write_dicom_series(raw, tmp_path/'s', sax.spacing)
    for t in range(8): (d/f'{2 * 8 + t + 1}.dcm').unlink()                 # slice 2 gone
    raises(lambda: read_dicom_cine(d), 's: missing slice: gap of')
    f = d/'9.dcm'; ds = pydicom.dcmread(f); del ds.PixelSpacing; ds.save_as(f)
    raises(lambda: read_dicom_cine(d), '9.dcm: DICOM attribute PixelSpacing is missing')


def test_contour_for_unknown_image(tmp_path, sax):
    root = sunnybrook_like(tmp_path, sax); d = root/'contourfiles'/'SC-HF-I-1'/'i-contours'
    shutil.copy(next(d.glob('*.txt')), d/'IM-0001-9999-icontour-manual.txt')
    raises(lambda: read_sunnybrook(root, 'SC-HF-I-1'), 'IM-0001-9999-icontour-manual.txt: outlines image 9999')


# ---- checkpoints, the artifact cache, full and read-only disks (command-line faults: tests/test_cli.py) -------------

def test_checkpoint_config_from_other_code(tmp_path):
    "A checkpoint whose config has a field the code does not know, or lacks one it needs, is refused naming the file."
    from dataclasses import asdict
    from cmrnb.core import CheckpointError, save_checkpoint
    from cmrnb.analysis.segment import SegConfig, SegNet, load_segmenter
    from cmrnb.analysis.tracking import TrackerNet, tracker_config, load_tracker
    cfg = SegConfig(channels=(4, 8, 16, 32)); net = SegNet(6, cfg.channels).state_dict()
    for name, bad in (('extra.pt', {**asdict(cfg), 'depth': 5}), ('missing.pt', {k: v for k, v in asdict(cfg).items() if k != 'spacing'})):
        save_checkpoint({'model': net, 'config': bad}, tmp_path/name)
        e = raises(lambda: load_segmenter(tmp_path/name), name, "its SegConfig does not match the code's")
        assert isinstance(e, CheckpointError)
    tc = tracker_config('smoke')
    save_checkpoint({'model': TrackerNet(tc).state_dict(), 'config': {**asdict(tc), 'depth': 2}}, tmp_path/'t.pt')
    raises(lambda: load_tracker(tmp_path/'t.pt'), 't.pt', "unknown fields ['depth']")


def test_flipped_byte_in_checkpoint_and_artifact(tmp_path):
    "One flipped bit in a checkpoint, or in a file of a cached artifact, is refused instead of loading silently."
    import dataclasses
    from cmrnb.core import ArtifactCache, save_checkpoint, load_checkpoint
    save_checkpoint({'x': np.arange(1000)}, tmp_path/'c.pt')
    b = bytearray((tmp_path/'c.pt').read_bytes()); b[len(b) // 2] ^= 4; (tmp_path/'c.pt').write_bytes(bytes(b))
    raises(lambda: load_checkpoint(tmp_path/'c.pt'), 'c.pt', 'SHA-256 does not match')
    cache = ArtifactCache(tmp_path/'cache')
    folder = cache.get_or_build('toy', {'a': 1}, lambda p: (p/'data.npy').write_bytes(b'0123456789'))
    (folder/'data.npy').write_bytes(b'0123456788')
    raises(lambda: cache.get_or_build('toy', {'a': 1}, lambda p: None), 'data.npy', 'differs from the checksum')


def test_full_disk_while_saving(tmp_path):
    "A disk that fills up while a checkpoint is written (simulated by a file-size limit) gives a WriteError naming the file, and leaves no file behind."
    import subprocess, sys, textwrap
    code = textwrap.dedent(f"""
        import resource, signal, torch
        from cmrnb.core import WriteError, save_checkpoint
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try: save_checkpoint({{'w': torch.zeros(100_000)}}, {str(tmp_path/'big.pt')!r})
        except WriteError as e: print('WriteError:', e)
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert 'WriteError:' in out.stdout and 'big.pt' in out.stdout and 'disk full' in out.stdout, out.stdout + out.stderr
    assert not list(tmp_path.glob('*big.pt*')), list(tmp_path.iterdir())


def test_unwritable_cache_and_output(tmp_path):
    "A cache or output folder that cannot be created (a file stands in the way: root ignores permission bits) names it."
    from cmrnb.core import ArtifactCache, WriteError, save_json
    (tmp_path/'file').write_text('x')
    e = raises(lambda: ArtifactCache(tmp_path/'file'/'cache').get_or_build('toy', {}, lambda p: None), 'file/cache', 'cannot create the artifact cache')
    assert isinstance(e, WriteError)
    raises(lambda: save_json({}, tmp_path/'file'/'out.json'), 'file/out.json', 'cannot write here')
