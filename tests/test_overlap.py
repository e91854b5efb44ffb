"Segmentation overlap (cmrnb.metrics.overlap) against MONAI, on empty and bad input, and on real ACDC masks."
import warnings
import numpy as np
import pytest
import torch
import scipy.ndimage as ndi
from monai.metrics import DiceMetric, HausdorffDistanceMetric, SurfaceDistanceMetric
from cmrnb.core import DataError
from cmrnb.metrics.overlap import dice, hausdorff, assd, overlap, OverlapMetric, EmptyMaskWarning


def blobs(shape, seed, labels=(1, 2, 3)):
    "A label map of smooth random blobs, one label per threshold band."
    rng = np.random.default_rng(seed)
    f = ndi.gaussian_filter(rng.random(shape), 3)
    f = (f - f.min()) / np.ptp(f)
    out = np.zeros(shape, np.uint8)
    for c, th in zip(labels, (0.55, 0.65, 0.75)): out[f > th] = c
    return out


def onehot(lab, labels):
    return torch.tensor(np.stack([lab == c for c in labels])[None].astype(np.float32))


def monai_all(p, t, labels, spacing):
    P, T = onehot(p, labels), onehot(t, labels)
    return {'dice': DiceMetric(include_background=True)(P, T)[0].numpy(),
            'hd': HausdorffDistanceMetric(include_background=True)(P, T, spacing=spacing)[0].numpy(),
            'hd95': HausdorffDistanceMetric(include_background=True, percentile=95)(P, T, spacing=spacing)[0].numpy(),
            'assd': SurfaceDistanceMetric(include_background=True, symmetric=True)(P, T, spacing=spacing)[0].numpy()}


@pytest.mark.parametrize("shape,spacing,seed", [((64, 60), (1.3, 0.9), 0), ((8, 40, 44), (9.0, 1.6, 1.4), 1),
                                                ((6, 32, 32), (10.0, 1.25, 1.25), 2)])
def test_against_monai(shape, spacing, seed):
    labels = (1, 2, 3)
    t, p = blobs(shape, seed), blobs(shape, seed + 100)
    present = [c for c in labels if (t == c).any() and (p == c).any()]
    ours, ref = overlap(p, t, spacing, present), monai_all(p, t, present, spacing)
    for k in ('dice', 'hd', 'hd95', 'assd'):
        assert np.abs(ours[k] - ref[k]).max() < 1e-4 * max(1, np.abs(ref[k]).max()), (k, ours[k], ref[k])


def test_sanity_self_and_shift():
    yy, xx = np.mgrid[:48, :48]
    r = np.hypot(yy - 24, (xx - 22) * 1.2)
    t = np.where(r < 9, 1, np.where(r < 14, 2, 0)).astype(np.uint8)     # LV cavity in a myocardial ring
    s0, s2, s5 = (overlap(np.roll(t, k, 1), t, (1.5, 1.5), (1, 2)) for k in (0, 2, 5))
    assert np.allclose(s0['dice'], 1, rtol=0, atol=1e-12) and np.abs(np.r_[s0['hd'], s0['assd']]).max() < 1e-12
    assert (s2['dice'] < 1).all() and (s5['dice'] < s2['dice']).all()
    for k in ('hd', 'hd95', 'assd'): assert (s2[k] > 0).all() and (s5[k] > s2[k]).all(), k


def test_empty_masks_documented_values():
    t = blobs((30, 30), 4, labels=(1,)); z = np.zeros_like(t)
    assert abs(dice(z, z, (1,))[0] - 1) < 1e-12 and abs(hausdorff(z, z, 1.0, (1,))[0]) < 1e-12 and abs(assd(z, z, 1.0, (1,))[0]) < 1e-12
    # MONAI's DiceMetric with ignore_empty=False gives the same 1.0 for two empty masks
    assert abs(DiceMetric(include_background=True, ignore_empty=False)(onehot(z, (1,)), onehot(z, (1,)))[0, 0].item() - 1) < 1e-6
    for p_, t_ in ((z, t), (t, z)):
        with pytest.warns(EmptyMaskWarning, match="class 1 is empty"):
            o = overlap(p_, t_, 1.0, (1,))
        assert abs(o['dice'][0]) < 1e-12 and all(np.isposinf(o[k][0]) for k in ('hd', 'hd95', 'assd'))
    with pytest.warns(EmptyMaskWarning):
        o = overlap(z, t, 1.0, (1, 2))                    # class 2 absent from both, class 1 from pred only
    assert not any(np.isnan(v).any() for v in o.values())
    assert np.allclose(o['dice'], [0, 1], rtol=0, atol=1e-12) and np.isposinf(o['hd'][0]) and abs(o['hd'][1]) < 1e-12


def test_bad_input():
    t = blobs((20, 20), 5)
    with pytest.raises(DataError, match=r"dice: pred has shape \[20, 18\] but target has shape \[20, 20\]"): dice(t[:, :18], t)
    f = t.astype(float); f[0, 0] = np.nan
    with pytest.raises(DataError, match="pred holds 1 NaN"): hausdorff(f, t, 1.0)
    with pytest.raises(DataError, match="not a label map"): assd(t + 0.3, t, 1.0)
    with pytest.raises(DataError, match="spacing must be 2 positive"): hausdorff(t, t, (1.0, 1.0, 1.0))
    with pytest.raises(DataError, match="spacing must be 2 positive"): hausdorff(t, t, (1.0, -1.0))
    with pytest.raises(DataError, match=r"expected one \[H, W\] frame"): dice(t[None, None], t[None, None])


def test_metric_class():
    t, p = blobs((6, 32, 32), 6), blobs((6, 32, 32), 7)
    m = OverlapMetric((1, 2))
    dice_b, hd_b, hd95_b, assd_b = m(np.stack([p, t]), np.stack([t, t]), spacing=(10.0, 1.5, 1.5))
    assert dice_b.shape == (2, 2) and np.allclose(dice_b[1], 1, rtol=0, atol=1e-12)
    agg = m.aggregate()
    one = overlap(p, t, (10.0, 1.5, 1.5), (1, 2))
    assert agg['n'] == 2 and np.abs(agg['hd'] - one['hd'] / 2).max() < 1e-9 and (agg['n_inf'] == 0).all()


def test_real_acdc_masks_against_monai(real_data):
    import nibabel as nib
    d = real_data / 'acdc-training' / 'patient001'
    if not d.exists(): pytest.skip(f"{d} not found")
    ed_img = nib.load(d / 'patient001_frame01_gt.nii.gz'); es_img = nib.load(d / 'patient001_frame12_gt.nii.gz')
    ed = np.asarray(ed_img.dataobj).astype(np.uint8).transpose(2, 1, 0)     # (z, y, x); ACDC: 1 RV, 2 myo, 3 LV
    es = np.asarray(es_img.dataobj).astype(np.uint8).transpose(2, 1, 0)
    sp = tuple(float(s) for s in ed_img.header.get_zooms()[::-1])
    labels = (3, 2, 1)
    ours, ref = overlap(es, ed, sp, labels), monai_all(es, ed, labels, sp)
    for k in ours: assert np.abs(ours[k] - ref[k]).max() < 1e-3, (k, ours[k], ref[k])
    assert 0.5 < ours['dice'][0] < 0.95                   # ES vs ED LV cavity of a DCM patient: partial overlap
