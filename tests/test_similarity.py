"Image similarity (cmrnb.metrics.similarity) against scikit-image and MONAI, on bad input, and on real frames."
import warnings
import numpy as np
import pytest
import torch
import scipy.ndimage as ndi
from skimage.metrics import structural_similarity, peak_signal_noise_ratio, mean_squared_error
from monai.metrics import MultiScaleSSIMMetric
from cmrnb.core import DataError
from cmrnb.metrics.similarity import (ssim, ms_ssim, four_gr_ssim, psnr, rmse, mae, ms_ssim_weights, image_similarity,
                                      SimilarityMetric, RegionWarning, MS_SSIM_WEIGHTS)


def smooth_frames(n, size, seed, sigma=2.5):
    "Smooth random frames in [0, 1], [n, 1, size, size], float64."
    rng = np.random.default_rng(seed)
    a = ndi.gaussian_filter(rng.random((n, 1, size, size)), (0, 0, sigma, sigma))
    a = (a - a.min((2, 3), keepdims=True)) / np.ptp(a, axis=(2, 3), keepdims=True)
    return a, np.clip(a + 0.07 * rng.standard_normal(a.shape), 0, 1)


def sk_ssim(a, b, data_range=1.0):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_ssim_matches_skimage(dtype, tol):
    a, b = smooth_frames(5, 64, 0)
    ours = ssim(torch.tensor(b, dtype=dtype), torch.tensor(a, dtype=dtype)).double().numpy()
    ref = np.array([sk_ssim(b[i, 0], a[i, 0]) for i in range(5)])
    assert np.abs(ours - ref).max() < tol


def test_ssim_data_range_and_videos():
    a, b = smooth_frames(6, 40, 1)
    ours = ssim(b * 255, a * 255, data_range=255.0).numpy()
    ref = np.array([sk_ssim(b[i, 0] * 255, a[i, 0] * 255, 255.0) for i in range(6)])
    assert np.abs(ours - ref).max() < 1e-9
    va, vb = a.reshape(2, 3, 1, 40, 40).transpose(0, 2, 1, 3, 4), b.reshape(2, 3, 1, 40, 40).transpose(0, 2, 1, 3, 4)
    per_frame = ssim(vb, va).numpy()                      # [B=2, T=3]
    assert per_frame.shape == (2, 3)
    assert np.abs(per_frame.ravel() - np.array([sk_ssim(b[i, 0], a[i, 0]) for i in range(6)])).max() < 1e-9
    assert np.abs(ssim(vb, va, per='video').numpy() - per_frame.mean(1)).max() < 1e-12


@pytest.mark.parametrize("size,n_scales", [(128, 4), (176, 5)])
def test_ms_ssim_matches_monai(size, n_scales):
    a, b = smooth_frames(3, size, 2, sigma=3)
    w = ms_ssim_weights(size)
    assert len(w) == n_scales
    ours = ms_ssim(b, a).numpy()
    ref = MultiScaleSSIMMetric(spatial_dims=2, data_range=1.0, weights=w)(torch.tensor(b), torch.tensor(a))[:, 0].numpy()
    assert np.abs(ours - ref).max() < 1e-5                # MONAI computes in float32
    if n_scales == 5: assert np.allclose(w, MS_SSIM_WEIGHTS, rtol=0, atol=1e-12)


def test_sanity_self_perfect_and_shift_worse():
    a, _ = smooth_frames(4, 128, 3)
    base = torch.tensor(a, dtype=torch.float32)
    s = {k: image_similarity(torch.roll(base, k, -2), base) for k in (0, 2, 6)}
    for m in ('ssim', 'ms_ssim', 'four_gr_ssim'):
        assert torch.all(torch.abs(s[0][m] - 1) < 1e-5), m
        assert torch.all(s[2][m] < s[0][m] - 1e-3) and torch.all(s[6][m] < s[2][m]), m
    assert float(s[0]['rmse'].abs().max()) < 1e-6 and torch.all(s[2]['mae'] < s[6]['mae'])
    assert torch.all(torch.isinf(s[0]['psnr'])) and torch.all(s[2]['psnr'] > s[6]['psnr'])


def test_errors_match_skimage():
    a, b = smooth_frames(3, 32, 4)
    assert np.abs(psnr(b, a).numpy() - [peak_signal_noise_ratio(a[i, 0], b[i, 0], data_range=1.0) for i in range(3)]).max() < 1e-9
    assert np.abs(rmse(b, a).numpy() ** 2 - [mean_squared_error(a[i, 0], b[i, 0]) for i in range(3)]).max() < 1e-12
    assert np.abs(mae(b, a).numpy() - np.abs(a - b).mean((1, 2, 3))).max() < 1e-12


def test_region_average():
    a, b = smooth_frames(2, 48, 5)
    roi = np.zeros(a.shape, bool); roi[:, :, 10:30, 12:40] = True
    full = structural_similarity(b[0, 0], a[0, 0], gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=1.0, full=True)[1]
    assert abs(ssim(b, a, mask=roi)[0].item() - full[10:30, 12:40].mean()) < 1e-10
    assert abs(rmse(b, a, mask=roi[:, 0:1])[1].item() - np.sqrt(((a - b)[1, 0, 10:30, 12:40] ** 2).mean())) < 1e-12


def test_bad_input():
    a, b = smooth_frames(2, 32, 6)
    with pytest.raises(DataError, match=r"ssim: x has shape \[2, 1, 32, 32\] but y has shape \[2, 1, 32, 30\]"):
        ssim(a, b[..., :30])
    bad = a.copy(); bad[1, 0, 3, 3] = np.nan
    for f in (ssim, ms_ssim, four_gr_ssim, psnr, rmse, mae):
        with pytest.raises(DataError, match="holds 1 NaN or inf"): f(bad, b)
    with pytest.raises(DataError, match="smaller than the 11-pixel window"): ssim(a[..., :8, :8], b[..., :8, :8])
    with pytest.raises(DataError, match="fit at most 2 scales"): ms_ssim(a, b, weights=(0.3, 0.3, 0.4))
    with pytest.raises(DataError, match="expected"): ssim(a[0], b[0])
    with pytest.raises(DataError, match="mask has shape"): ssim(a, b, mask=np.ones((2, 1, 31, 32), bool))
    with pytest.warns(RegionWarning, match="empty in 2 of 2 frames"):
        s = ssim(a, b, mask=np.zeros(a.shape, bool))
    assert torch.isnan(s).all()                            # documented: NaN, with the warning


def test_metric_class_accumulates():
    a, b = smooth_frames(6, 64, 7)
    for name in ('ssim', 'four_gr_ssim', 'mae'):
        m = SimilarityMetric(name)
        for i in range(0, 6, 4): m(b[i:i + 4], a[i:i + 4])
        f = {'ssim': ssim, 'four_gr_ssim': four_gr_ssim, 'mae': mae}[name]
        assert abs(m.aggregate().item() - f(b, a).mean().item()) < 1e-12
        m.reset()
        with pytest.raises(ValueError): m.aggregate()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_matches_cpu():
    a, b = smooth_frames(8, 128, 8)
    x, y = torch.tensor(b, dtype=torch.float32), torch.tensor(a, dtype=torch.float32)
    for f in (ssim, ms_ssim, four_gr_ssim, psnr):
        assert torch.abs(f(x.cuda(), y.cuda()).cpu() - f(x, y)).max() < 1e-4


def test_real_acdc_frames(real_data):
    import nibabel as nib
    f = real_data / 'acdc-training' / 'patient001' / 'patient001_frame01.nii.gz'
    if not f.exists(): pytest.skip(f"{f} not found")
    vol = np.asarray(nib.load(f).dataobj, dtype=np.float64).transpose(2, 1, 0)        # (z, y, x)
    vol = vol / np.percentile(vol, 99.5); vol = np.clip(vol, 0, 1)[:, None]             # [Z, 1, H, W] in [0, 1]
    noisy = np.clip(vol + np.random.default_rng(0).normal(0, 0.05, vol.shape), 0, 1)
    ours = ssim(torch.tensor(noisy, dtype=torch.float32), torch.tensor(vol, dtype=torch.float32)).numpy()
    ref = np.array([sk_ssim(noisy[i, 0], vol[i, 0]) for i in range(len(vol))])
    assert np.abs(ours - ref).max() < 1e-4
    assert 0.2 < ours.mean() < 0.95
    assert (four_gr_ssim(noisy, vol) < 1).all() and (ms_ssim(noisy, vol) > ms_ssim(np.roll(noisy, 5, -1), vol)).all()
