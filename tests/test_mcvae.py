"cmrnb.models.mcvae at tiny sizes: pinned sizes, cross-channel shapes, training through TrainLoop, sparse pruning to the true number of factors, bad input."
import json
import pytest
import torch
from cmrnb.core import DataError, CheckpointError, seed_everything, n_params
from cmrnb.models.mcvae import (MCVAE, MCVAEConfig, active_dims, dropout_rates, factor_pairs, load_mcvae,
                                train_mcvae, translate)


def logs(folder): return [json.loads(l) for l in (folder/'metrics.jsonl').read_text().splitlines()]


def test_parameter_counts_are_pinned():
    assert n_params(MCVAE(MCVAEConfig.tiny())) == 22298
    assert n_params(MCVAE(MCVAEConfig.tiny(sparse=False))) == 30498       # + a log-variance head per encoder
    assert n_params(MCVAE(MCVAEConfig.thesis())) == 17809490             # D = 1024, L = 7, 20 x 128 x 128
    assert n_params(MCVAE(MCVAEConfig.thesis(sparse=False))) == 26199122


@pytest.mark.parametrize('sparse', [True, False])
def test_cross_channel_decoding_shapes(sparse):
    torch.manual_seed(0)
    m = MCVAE(MCVAEConfig.tiny(sparse=sparse)).eval()
    cine, tag = torch.rand(3, 4, 16, 16), torch.rand(3, 1, 4, 16, 16)      # [B, T, H, W] and [B, 1, T, H, W]
    for y in (m.translate(cine, to='tagging'), translate(m, tag, to='cine'), m.translate(cine, to='cine', frm='cine')):
        assert y.shape == (3, 4, 16, 16) and 0 <= float(y.min()) and float(y.max()) <= 1
    joint = m.reconstruct({'cine': cine, 'tagging': tag})
    assert set(joint) == {'cine', 'tagging'} and joint['tagging'].shape == (3, 4, 16, 16)
    both = (m.translate(cine, to='tagging') + m.translate(tag, to='tagging', frm='tagging')) / 2
    assert torch.allclose(joint['tagging'], both, atol=1e-6)                # joint = mean of the decodings
    assert torch.equal(m.translate(cine, to='tagging'), m.translate(cine, to='tagging'))   # means, no sampling: bit-exact


def test_bad_input_is_named():
    m = MCVAE(MCVAEConfig.tiny())
    with pytest.raises(ValueError, match=r'cine has shape \[3, 4, 8, 8\]'): m.translate(torch.rand(3, 4, 8, 8), to='tagging')
    with pytest.raises(ValueError, match="unknown channel 'flair'"): m.translate(torch.rand(3, 4, 16, 16), to='flair')
    with pytest.raises(ValueError, match=r"batch has no \['tagging'\]"): m({'cine': torch.rand(2, 4, 16, 16)})
    cfg, data = MCVAEConfig.tiny(), {'cine': torch.rand(5, 4, 16, 16), 'tagging': torch.rand(4, 4, 16, 16)}
    with pytest.raises(DataError, match='different numbers of items'): train_mcvae(data, cfg, '/nonexistent/x', steps=1)
    with pytest.raises(DataError, match=r"has no channel \['tagging'\]"): train_mcvae({'cine': data['cine']}, cfg, '/nonexistent/x', steps=1)
    with pytest.raises(ValueError, match='only for a sparse model'): active_dims(MCVAE(MCVAEConfig.tiny(sparse=False)))


@pytest.mark.parametrize('sparse', [True, False])
def test_loss_decreases_on_toy_pairs(tmp_path, sparse):
    """50 steps of the conv model: the loss falls, and tagging decoded from cine beats both the untrained model and the
    best constant guess (the mean tagging), i.e. something about each subject crossed over (measured 0.064 vs 0.075)."""
    cfg = MCVAEConfig.tiny(sparse=sparse)
    data, _ = factor_pairs(256, cfg, k=3, seed=1)
    seed_everything(0); untrained = MCVAE(cfg).eval()                      # what train_mcvae starts from
    m = train_mcvae(data, cfg, tmp_path, steps=50, batch_size=16, lr=2e-3, log_every=5)
    r = logs(tmp_path)
    assert [x['step'] for x in r] == list(range(5, 51, 5))
    first, last = sum(x['loss'] for x in r[:2]) / 2, sum(x['loss'] for x in r[-2:]) / 2
    assert last < first - 0.1 * abs(first)
    mse = lambda model: float(((model.translate(data['cine'], to='tagging') - data['tagging']) ** 2).mean())
    assert mse(m) < 0.8 * mse(untrained) and mse(m) < 0.95 * float(data['tagging'].var(0, unbiased=False).mean())


def test_sparse_model_keeps_about_the_true_number_of_factors(tmp_path):
    """Data from k = 3 factors, D = 16: 2..5 dims stay active (p < 0.2). Measured: exactly 3 from step ~300 on.
    Two-sided because too many means no pruning and too few means a factor was lost; the kept codes must also
    explain the factors (linear R2), which a model keeping 3 arbitrary dimensions would not."""
    cfg = MCVAEConfig.tiny(arch='mlp', n_layers=0, latent_dim=16, size=8, n_frames=2, learn_noise=False, noise_logvar=-1.8)
    data, z = factor_pairs(512, cfg, k=3)
    assert len(active_dims(MCVAE(cfg))) == 0                                # at init p ~ 0.5: nothing active
    m = train_mcvae(data, cfg, tmp_path, steps=800, batch_size=128, lr=1e-2, log_every=100)
    act = active_dims(m)
    assert 2 <= len(act) <= 5, dropout_rates(m)
    assert logs(tmp_path)[-1]['active_dims'] == len(act)
    mu = m.posterior(data['tagging'], 'tagging')[0].detach()[:, act]
    A = torch.cat([mu, torch.ones(len(mu), 1)], 1)
    resid = z - A @ torch.linalg.lstsq(A, z).solution
    assert 0.95 < 1 - float((resid ** 2).sum() / ((z - z.mean(0)) ** 2).sum()) <= 1
    mse = float(((m.translate(data['cine'], to='tagging') - data['tagging']) ** 2).mean())
    assert mse < 0.2 * float(data['tagging'].var(0).mean())                # far better than the mean tagging


def test_resume_and_load(tmp_path):
    cfg = MCVAEConfig.tiny(arch='mlp', n_layers=1, width=16)
    data, _ = factor_pairs(64, cfg, seed=2)
    train_mcvae(data, cfg, tmp_path, steps=10, batch_size=8, log_every=5, ckpt_every=5)
    m = train_mcvae(data, cfg, tmp_path, steps=20, batch_size=8, log_every=5, ckpt_every=5)   # resumes at step 10
    assert [x['step'] for x in logs(tmp_path)] == [5, 10, 15, 20]
    m2 = load_mcvae(tmp_path)
    # bit-exact: the saved weights reloaded
    assert m2.cfg == cfg and all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))
    with pytest.raises(CheckpointError, match='config.json'): load_mcvae(tmp_path/'nothing')
