"cmrnb.models.ldm at tiny sizes on the phantom: autoencoder, DDIM determinism, conditioning, canonical masks, resume, bad input."
import numpy as np
import pytest
import torch
from torch import nn
from cmrnb.core import DataError
from cmrnb.data.phantom import sample_subject, sax_cine
from cmrnb.models.ldm import (AEConfig, VolumeAE, ae_recon_error, train_ae, LDMConfig, ImageMaskLDM, CineLDMConfig, CineLDM,
                              Denoiser, UNetConfig, ddim_sample, train_ldm, encode_dataset, to_channels, cine_channels,
                              normalise_conditions, volumes_from_studies, cines_from_studies)


@pytest.fixture(scope='module')
def studies():
    return [sax_cine(sample_subject(i), n_frames=4, size=16, n_slices=4, seed=i, fov=110.) for i in range(4)]


def jiggle(m:nn.Module, seed=0):
    "MONAI zero-initialises the U-Net output and attention projections; give them values, as training would."
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            if not p.any(): p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return m


def test_autoencoder_shapes_and_reconstruction_improves(studies, tmp_path):
    img, msk, _ = volumes_from_studies(studies)
    x = to_channels(img, msk)
    torch.manual_seed(0); ae = VolumeAE(AEConfig.tiny())
    rec, mu, sigma = ae(x[:2])
    assert rec.shape == (2, 5, 4, 16, 16) and mu.shape == sigma.shape == (2, 2, 2, 8, 8)
    before = ae_recon_error(ae, x)
    train_ae(ae, x, tmp_path, steps=20, batch_size=4, lr=3e-3, progress=False, device='cpu')
    after = ae_recon_error(ae, x)
    assert after['l1'] < 0.7 * before['l1'] and after['mask_acc'] > before['mask_acc'] + 0.2


def test_pinned_parameter_counts():
    n = lambda m: sum(p.numel() for p in m.parameters())
    assert n(VolumeAE(AEConfig.tiny())) == 46049
    assert n(ImageMaskLDM(LDMConfig.tiny()).denoiser) == 445554
    assert n(CineLDM(CineLDMConfig.tiny()).denoiser) == 525364


def test_ddim_eta0_is_deterministic_for_a_seed():
    torch.manual_seed(0); ldm = ImageMaskLDM(LDMConfig.tiny()).eval(); jiggle(ldm.denoiser)
    a, am = ldm.sample(2, n_steps=5, eta=0., seed=7)
    b, bm = ldm.sample(2, n_steps=5, eta=0., seed=7)
    c, _ = ldm.sample(2, n_steps=5, eta=0., seed=8)
    assert np.array_equal(a, b) and np.array_equal(am, bm)   # bit-exact: same seed in one process
    assert np.abs(a - c).max() > 1e-4


def test_ddim_matches_the_closed_form_step():
    "One DDIM step with eta = 0 from t to 0 is x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) (Song et al. eq. 12)."
    torch.manual_seed(0); den = jiggle(Denoiser(UNetConfig.tiny(), 2)).eval()
    z = ddim_sample(den, (1, 2, 2, 8, 8), n_steps=1, seed=3)
    from cmrnb.models.ldm import make_scheduler
    sched = make_scheduler(); xt = torch.randn((1, 2, 2, 8, 8), generator=torch.Generator().manual_seed(3))
    t = 999; abar = sched.alphas_cumprod[t]
    with torch.no_grad(): eps = den(xt, torch.tensor([t]))
    assert torch.allclose(z, (xt - (1 - abar).sqrt() * eps) / abar.sqrt(), atol=1e-5)


def test_conditioning_changes_the_output_and_masks_are_canonical(studies):
    torch.manual_seed(0); m = CineLDM(CineLDMConfig.tiny()).eval(); jiggle(m.denoiser)
    young = dict(studies[0].demographics, age=42., sbp=105., weight=55.)
    old = dict(studies[0].demographics, age=78., sbp=180., weight=110.)
    i1, m1 = m.sample([young], guidance_scale=3., n_steps=4, seed=0)
    i2, m2 = m.sample([old], guidance_scale=3., n_steps=4, seed=0)
    assert i1.shape == m1.shape == (1, 4, 4, 16, 16) and m1.dtype == np.uint8
    assert np.abs(i1 - i2).max() > 1e-4
    assert set(np.unique(np.concatenate([m1, m2]))) <= {0, 1, 2, 3}
    assert 0 <= i1.min() and i1.max() <= 1


def test_train_ldm_resumes_exactly(studies, tmp_path):
    img, msk, dem = cines_from_studies(studies)
    x, c = cine_channels(img, msk), normalise_conditions(dem)
    def run(out, steps):
        torch.manual_seed(0); m = CineLDM(CineLDMConfig.tiny())
        return train_ldm(m, x, out, cond=c, steps=steps, batch_size=2, lr=1e-3, ckpt_every=2, progress=False, device='cpu')
    full = run(tmp_path/'full', 4)
    run(tmp_path/'part', 2); resumed = run(tmp_path/'part', 4)
    # bit-exact: resuming restores weights, optimiser and RNG state, so the same steps run on the same machine
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()): assert torch.equal(a, b)
    assert abs(encode_dataset(full, x, device='cpu').std().item() - 1) < 1e-3   # the latent scale was fitted


def test_bad_inputs_are_named(studies):
    with pytest.raises(DataError, match=r"conditions\[1\]: missing \['sbp'"):
        normalise_conditions([studies[0].demographics, {k: v for k, v in studies[0].demographics.items() if k != 'sbp'}])
    with pytest.raises(DataError, match='outside 0..3'):
        to_channels(studies[0].image[:1], studies[0].mask[:1] + 3)
    with pytest.raises(ValueError, match='cine has shape'):
        CineLDM(CineLDMConfig.tiny()).latents(torch.zeros(1, 5, 3, 4, 16, 16))
    with pytest.raises(DataError, match='masks in every frame'):
        cines_from_studies([studies[0].replace(labelled=(0, 2))])
