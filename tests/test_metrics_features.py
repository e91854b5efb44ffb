"Feature extractors: the cardiac encoder contract, cFVD's motion sensitivity, the TorchScript loaders' call conventions."
import numpy as np
import pytest
import torch
from torch import nn

from cmrnb.core import CheckpointError, DataError, save_checkpoint
from cmrnb.metrics.features import (CardiacClipExtractor, CardiacEncoder, CardiacFrameExtractor, I3DExtractor,
                                    InceptionExtractor, cardiac_encoder, fid, frame_extractor, fvd, video_extractor)
from cmrnb.metrics.frechet import frechet_distance_features
from helpers import fd_self_tol


def beating_discs(n, T=20, size=32, seed=0):
    "Toy cines [n, 1, T, size, size]: a bright disc in a darker ring whose radius follows a smooth cycle."
    rng = np.random.default_rng(seed); yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, 1, T, size, size), np.float32)
    for i in range(n):
        cy, cx = rng.uniform(0.4, 0.6, 2) * size; r0 = rng.uniform(0.18, 0.26) * size; a = rng.uniform(0.2, 0.4)
        r = r0 * (1 - a * (1 - np.cos(2 * np.pi * np.arange(T) / T)) / 2); d = np.hypot(yy - cy, xx - cx)
        for t in range(T): out[i, 0, t] = 0.9 * (d < r[t]) + 0.35 * ((d >= r[t]) & (d < r[t] + 0.12 * size))
    return np.clip(out + 0.02 * rng.standard_normal(out.shape), 0, 1).astype(np.float32)


def _motion_ranks(real, fake, extractor, seed=0):
    rng = np.random.default_rng(seed)
    shuffled = np.stack([v[:, rng.permutation(v.shape[1])] for v in fake])
    frozen = np.repeat(fake[:, :, :1], fake.shape[2], axis=2)
    fr = extractor(real)
    return {k: frechet_distance_features(fr, extractor(v)) for k, v in
            [('fresh', fake), ('shuffled', shuffled), ('frozen', frozen)]}



def test_encoder_contract_and_default_sizes():
    enc = CardiacEncoder().eval()
    outs = enc(torch.rand(1, 1, 256, 256))
    assert [o.shape[1] for o in outs] == [32, 64, 128, 256]
    assert outs[-1].shape[-2:] == (16, 16)   # GANcMRI: conv4 16x16x256 at 256x256
    assert enc.features(torch.rand(2, 1, 256, 256)).shape == (2, 256)
    assert CardiacClipExtractor(cardiac_encoder()).dim == 1024 and CardiacFrameExtractor().dim == 256


def test_stand_in_is_fixed_by_seed_and_flagged():
    x = torch.rand(3, 1, 32, 32)
    a, b, c = cardiac_encoder(seed=1), cardiac_encoder(seed=1), cardiac_encoder(seed=2)
    assert torch.equal(a.features(x), b.features(x)) and not torch.allclose(a.features(x), c.features(x))   # bit-exact: same seed, one process
    assert not a.trained and 'untrained' in a.source
    assert frame_extractor().name == 'cfid_untrained' and video_extractor().name == 'cfvd_untrained'


def test_checkpoint_names_the_metric(tmp_path):
    enc = cardiac_encoder(seed=3)
    save_checkpoint({'encoder': enc.state_dict()}, tmp_path / 'enc.pt')
    assert frame_extractor(checkpoint=tmp_path / 'enc.pt').name == 'cfid'
    assert video_extractor(checkpoint=tmp_path / 'enc.pt').name == 'cfvd'
    save_checkpoint({'step': 3}, tmp_path / 'empty.pt')
    with pytest.raises(CheckpointError, match='empty.pt: holds no'):
        cardiac_encoder(tmp_path / 'empty.pt')


def test_cfvd_prefers_beating_over_shuffled_and_frozen():
    cx = CardiacClipExtractor(cardiac_encoder(channels=(8, 16, 16, 16)), batch_size=512)
    d = _motion_ranks(beating_discs(150, seed=1), beating_discs(150, seed=2), cx)
    assert d['fresh'] < d['shuffled'] / 3 and d['fresh'] < d['frozen'] / 3, d


def test_cfid_self_zero_and_shift():
    fx = CardiacFrameExtractor(cardiac_encoder(channels=(8, 16, 16, 16)))
    frames = beating_discs(40, T=4, seed=3)[:, :, :].transpose(0, 2, 1, 3, 4).reshape(160, 1, 32, 32)
    other = beating_discs(40, T=4, seed=4).transpose(0, 2, 1, 3, 4).reshape(160, 1, 32, 32)
    r = fid(frames, frames, fx)
    assert list(r) == ['cfid_untrained'] and abs(r['cfid_untrained']) < fd_self_tol(fx(frames))
    d_same = fid(frames, other, fx)['cfid_untrained']
    d_dark = fid(frames, other * 0.5, fx)['cfid_untrained']
    assert 0 < d_same < d_dark / 3


def test_cfvd_motion_sensitivity_on_phantom():
    "On the 4-chamber phantom the heart is a small part of the frame: the untrained stand-in still ranks fresh best,"
    "but shuffling costs less than on the toy discs (about 1.3-2.9x by encoder seed); freezing costs more."
    from cmrnb.data import phantom
    def videos(seed, n=40):
        return np.stack([phantom.lax_cine(phantom.sample_subject(seed * 1000 + i), n_frames=16, size=64, snr=20,
                                          seed=seed * 1000 + i, fov=260.).image[:, 0] for i in range(n)])[:, None]
    cx = CardiacClipExtractor(cardiac_encoder(channels=(8, 8, 8, 8), seed=0), batch_size=512)
    d = _motion_ranks(videos(1), videos(2), cx)
    assert d['fresh'] < d['shuffled'] and 3 * d['fresh'] < d['frozen'], d


class StandInInception(nn.Module):
    "Same call as StyleGAN2-ADA's inception-2015-12-05.pt; reports input min, max, channels, kwarg."
    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        n = img.shape[0]
        s = torch.stack([img.amin(dim=(1, 2, 3)), img.amax(dim=(1, 2, 3)),
                         torch.full([n], float(img.shape[1])), torch.full([n], float(return_features)),
                         (img[:, 0] - img[:, 2]).abs().amax(dim=(1, 2))], 1)
        return torch.cat([s, torch.zeros(n, 2043)], 1) if return_features else torch.zeros(n, 1008)


class StandInI3D(nn.Module):
    "Same call as StyleGAN-V's i3d_torchscript.pt; reports input min, max and shape."
    def forward(self, x: torch.Tensor, rescale: bool = True, resize: bool = True,
                return_features: bool = False) -> torch.Tensor:
        n = x.shape[0]
        s = torch.stack([x.amin(dim=(1, 2, 3, 4)), x.amax(dim=(1, 2, 3, 4)), torch.full([n], float(x.shape[2])),
                         torch.full([n], float(x.shape[3] * 1000 + x.shape[4])), torch.full([n], float(x.shape[1]))], 1)
        ok = return_features and not rescale and not resize
        return torch.cat([s, torch.zeros(n, 395)], 1) if ok else torch.zeros(n, 7)


def test_inception_loader_call_convention(tmp_path):
    torch.jit.script(StandInInception()).save(str(tmp_path / 'inception.pt'))
    ex = frame_extractor(inception=tmp_path / 'inception.pt', batch_size=3)
    assert isinstance(ex, InceptionExtractor) and ex.name == 'fid_inception'
    frames = np.zeros((5, 1, 20, 20), np.float32); frames[:, :, :10] = 1.0
    f = ex(frames)
    assert f.shape == (5, 2048)
    # min, max (uint8 range), channels, return_features, |R - B| (gray repeated to 3 channels): integers coded as floats
    assert np.allclose(f[:, :5], [0, 255, 3, 1, 0], rtol=0, atol=1e-6)
    with pytest.raises(DataError, match='5 samples for 2048 features'):   # refused, not a silent NaN
        fid(frames, frames[::-1].copy(), ex)
    assert list(fid(frames, frames[::-1].copy(), ex, allow_singular=True)) == ['fid_inception']


def test_i3d_loader_call_convention(tmp_path):
    torch.jit.script(StandInI3D()).save(str(tmp_path / 'i3d.pt'))
    ex = video_extractor(i3d=tmp_path / 'i3d.pt', batch_size=2)
    assert isinstance(ex, I3DExtractor) and ex.name == 'fvd_i3d'
    v = np.zeros((3, 1, 50, 48, 48), np.float32); v[:, :, ::2] = 1.0   # alternating black/white frames
    f = ex(v)
    assert f.shape == (3, 400)
    assert np.allclose(f[:, 0], -1) and np.allclose(f[:, 1], 1)
    assert np.allclose(f[:, 2:5], [16, 224_224, 3], rtol=0, atol=1e-6)   # frames, H * 1000 + W, channels
    assert list(fvd(v, v, ex, allow_singular=True)) == ['fvd_i3d']


def test_torchscript_faults_name_the_file(tmp_path):
    (tmp_path / 'junk.pt').write_bytes(b'not a model')
    with pytest.raises(CheckpointError, match='junk.pt: not a TorchScript'):
        InceptionExtractor(tmp_path / 'junk.pt')
    torch.jit.script(StandInI3D()).save(str(tmp_path / 'i3d.pt'))
    with pytest.raises(CheckpointError, match=r'i3d.pt: failed on input of shape \[2, 3, 8, 8\]'):
        InceptionExtractor(tmp_path / 'i3d.pt')(np.zeros((2, 1, 8, 8)))   # an I3D file given as Inception
    torch.jit.script(StandInInception()).save(str(tmp_path / 'inc.pt'))
    ex = InceptionExtractor(tmp_path / 'inc.pt'); ex.dim = 400   # a detector returning the wrong size is refused
    with pytest.raises(CheckpointError, match=r'inc.pt: returned features of shape \[2, 2048\], expected \[N, 400\]'):
        ex(np.zeros((2, 1, 8, 8)))


@pytest.mark.parametrize("bad,msg", [
    (np.zeros((2, 1, 16, 8)), 'videos has shape'),
    (np.zeros((2, 3, 16, 8, 8)), 'videos has shape'),
    (np.zeros((0, 1, 16, 8, 8)), 'empty'),
    (np.full((2, 1, 16, 8, 8), np.nan), 'NaN'),
])
def test_bad_videos_raise_data_error(bad, msg):
    cx = CardiacClipExtractor(cardiac_encoder(channels=(4, 4, 4, 4)))
    with pytest.raises(DataError, match=msg):
        cx(bad)
