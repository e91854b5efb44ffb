"cmrnb.models.baselines at tiny sizes: shapes, conditioning, canonical masks, training and resume, LSGAN losses."
import numpy as np
import pytest
import torch
from cmrnb.data.phantom import sample_subject, sax_cine
from cmrnb.models.ldm import to_channels, cine_channels, normalise_conditions, volumes_from_studies, cines_from_studies
from cmrnb.models.baselines import (BaselineConfig, VAE3d, Generator3d, Discriminator3d, train_vae, train_gan, gan_losses,
                                    fold_slices, unfold_slices, to_arrays, split_output)


@pytest.fixture(scope='module')
def data():
    ss = [sax_cine(sample_subject(i), n_frames=4, size=16, n_slices=4, seed=i, fov=110.) for i in range(4)]
    img, msk, _ = volumes_from_studies(ss); ci, cm, dem = cines_from_studies(ss)
    return to_channels(img, msk), fold_slices(cine_channels(ci, cm)), normalise_conditions(dem), cm


def test_all_four_models_generate_canonical_masks(data):
    vols, cines, cond, _ = data
    torch.manual_seed(0)
    for model, c, shape in ((VAE3d(BaselineConfig.tiny()), None, (3, 4, 16, 16)),
                            (Generator3d(BaselineConfig.tiny()), None, (3, 4, 16, 16)),
                            (VAE3d(BaselineConfig.tiny_cine()), cond[:3], (3, 4, 4, 16, 16)),
                            (Generator3d(BaselineConfig.tiny_cine()), cond[:3], (3, 4, 4, 16, 16))):
        img, msk = to_arrays(model.sample(3, c, seed=1), model.cfg)
        assert img.shape == msk.shape == shape and msk.dtype == np.uint8
        assert set(np.unique(msk)) <= {0, 1, 2, 3} and 0 <= img.min() and img.max() <= 1
        assert np.array_equal(img, to_arrays(model.sample(3, c, seed=1), model.cfg)[0])   # seeded: bit-exact in one process


def test_condition_changes_cvae_and_cgan_samples(data):
    _, _, cond, _ = data
    torch.manual_seed(0)
    for m in (VAE3d(BaselineConfig.tiny_cine()), Generator3d(BaselineConfig.tiny_cine())):
        assert (m.sample(2, cond[:2], seed=0) - m.sample(2, cond[2:4], seed=0)).abs().max() > 1e-4


def test_fold_round_trip_and_mask_layout(data):
    _, cines, _, cm = data
    cfg = BaselineConfig.tiny_cine()
    assert torch.equal(fold_slices(unfold_slices(cines, 4)), cines)
    assert np.array_equal(to_arrays(cines * 20 - 10, cfg)[1], cm)   # one-hot channels in, the same masks out


def test_lsgan_losses_closed_form():
    dr, df = torch.tensor([0.2, 1.4]), torch.tensor([-0.5, 0.3])
    ld, lg = gan_losses(dr, df)
    assert abs(ld.item() - (0.5 * np.mean([0.64, 0.16]) + 0.5 * np.mean([0.25, 0.09]))) < 1e-6
    assert abs(lg.item() - 0.5 * np.mean([2.25, 0.49])) < 1e-6
    with pytest.raises(ValueError, match='lsgan'): gan_losses(dr, df, 'wgan')


def test_vae_trains_and_gan_resumes_exactly(data, tmp_path):
    vols, cines, cond, _ = data
    torch.manual_seed(0); vae = VAE3d(BaselineConfig.tiny())
    l1 = lambda: (split_output(vae.reconstruct(vols), vae.cfg)[0] - vols[:, :1]).abs().mean().item()
    before = l1(); train_vae(vae, vols, tmp_path/'vae', steps=20, batch_size=4, lr=2e-3, progress=False, device='cpu')
    assert l1() < 0.7 * before
    def run(out, steps):
        torch.manual_seed(0); cfg = BaselineConfig.tiny_cine()
        g, d = Generator3d(cfg), Discriminator3d(cfg)
        train_gan(g, d, cines, out, cond=cond, kind='bce', steps=steps, batch_size=2, ckpt_every=2, progress=False, device='cpu')
        return g
    full = run(tmp_path/'full', 4); run(tmp_path/'part', 2); resumed = run(tmp_path/'part', 4)
    # bit-exact: resuming restores weights, optimiser and RNG state, so the same steps run on the same machine
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()): assert torch.equal(a, b)


def test_bad_input_is_named(data):
    vols, _, _, _ = data
    with pytest.raises(ValueError, match='VAE input has shape'): VAE3d(BaselineConfig.tiny())(vols[:, :3])
    with pytest.raises(ValueError, match='iff cond_dim'): VAE3d(BaselineConfig.tiny_cine())(torch.zeros(1, 20, 4, 16, 16))
