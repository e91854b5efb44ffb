"StyleGAN2 training under real faults: a run stopped and resumed equals an uninterrupted one; bad frames are refused; CUDA path."
import json, math
import pytest
import torch
from cmrnb.core import DataError, n_params
from cmrnb.models.stylegan2 import StyleGAN2Config, Generator, Discriminator, train_stylegan2
from helpers import logged

KW = dict(batch_size=4, r1_every=2, log_every=1, ckpt_every=2, progress=False, device='cpu', mixing_prob=0.9)



def test_param_counts_pinned():
    cfg = StyleGAN2Config.tiny()
    assert (n_params(Generator(cfg)), n_params(Discriminator(cfg))) == (82_939, 72_529)


def test_resume_is_exact(tmp_path):
    cfg, data = StyleGAN2Config.tiny(), torch.rand(16, 1, 32, 32)
    full = train_stylegan2(data, cfg, tmp_path/'full', steps=4, **KW)
    train_stylegan2(data, cfg, tmp_path/'resumed', steps=2, **KW)            # stops after the checkpoint at step 2
    res = train_stylegan2(data, cfg, tmp_path/'resumed', steps=4, **KW)      # picks up from last.pt
    assert res['loop'].step == 4
    for k in ('G', 'D', 'G_ema'):   # bit-exact: resuming restores every state, so the same steps run on the same machine
        for (n, a), b in zip(full[k].state_dict().items(), res[k].state_dict().values()):
            assert torch.equal(a, b), f"{k}.{n}"
    assert logged(tmp_path/'full'/'metrics.jsonl') == logged(tmp_path/'resumed'/'metrics.jsonl')   # same steps, bit-exact losses


def test_dataset_input_and_bad_frames(tmp_path):
    cfg = StyleGAN2Config.tiny()
    ds = [(torch.rand(1, 32, 32), 0) for _ in range(8)]                    # a dataset of (frame, label) items
    out = train_stylegan2(ds, cfg, tmp_path/'ds', steps=1, **KW)
    assert math.isfinite(sum(p.sum().item() for p in out['G_ema'].parameters()))
    bad = torch.rand(8, 1, 32, 32); bad[3, 0, 5, 5] = float('nan')
    with pytest.raises(DataError, match='finite'):
        train_stylegan2(bad, cfg, tmp_path/'bad', steps=2, **{**KW, 'batch_size': 8})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (bfloat16 autocast + channels-last path)")
def test_cuda_amp_channels_last(tmp_path):
    cfg = StyleGAN2Config.tiny()
    out = train_stylegan2(torch.rand(16, 1, 32, 32), cfg, tmp_path/'gpu', steps=3, **{**KW, 'device': 'cuda'})
    G = out['G_ema']
    assert next(G.parameters()).is_cuda
    with torch.no_grad(): x = G.render(G.sample_w(4))
    assert x.shape == (4, 1, 32, 32) and torch.isfinite(x).all()


GAN_DDP_SCRIPT = '''
import os, sys, torch
from cmrnb.models.stylegan2 import StyleGAN2Config, train_stylegan2
out = sys.argv[1]
data = torch.rand(16, 1, 32, 32, generator=torch.Generator().manual_seed(0))
res = train_stylegan2(data, StyleGAN2Config.tiny(), out, steps=3, batch_size=8, r1_every=2, log_every=1, ckpt_every=10,
                      progress=False, device='cpu')
rank = os.environ.get('RANK', '0')
torch.save({k: res[k].state_dict() for k in ('G', 'D', 'G_ema')}, os.path.join(out, f'nets.rank{rank}.pt'))
'''


def test_two_rank_training_keeps_ranks_in_step(tmp_path):
    "Under torchrun (gloo, 2 ranks) each rank draws its own frames and latents; the averaged gradients keep G, D and G_ema identical."
    import os, subprocess, sys
    from pathlib import Path
    script = tmp_path/'gan_ddp.py'; script.write_text(GAN_DDP_SCRIPT)
    torchrun = str(Path(sys.executable).parent/'torchrun')
    r = subprocess.run([torchrun, '--nproc_per_node', '2', '--standalone', str(script), str(tmp_path/'run')],
                       capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': '1'}, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = (torch.load(tmp_path/'run'/f'nets.rank{k}.pt', weights_only=True) for k in (0, 1))
    init = Generator(StyleGAN2Config.tiny()).state_dict()
    moved = 0
    for k in ('G', 'D', 'G_ema'):   # bit-exact: DDP all-reduces gradients, so every rank takes the identical step
        for n, v in a[k].items():
            assert torch.equal(v, b[k][n]), f"{k}.{n} differs between ranks"
    for n, v in a['G'].items():
        if v.is_floating_point() and not torch.equal(v, init[n]): moved += 1
    assert moved > 0                                                        # and training did change the generator
