"""Generation speed on CPU: seconds per generated image + mask volume (ch. 5 LDM, 3D VAE, 3D LSGAN) and per 4D cine
(ch. 6 conditional LDM with classifier-free guidance, CVAE, CGAN), at tiny and quick sizes with untrained weights (speed
does not depend on training). Run: .venv/bin/python benchmarks/ldm_speed.py [--sizes tiny,quick] [--steps 50]
[--threads N]  -> runs/benchmarks/ldm_speed.json"""
import argparse, platform, time
import numpy as np
import torch
from cmrnb.core import repo_root, save_json
from cmrnb.models.ldm import AEConfig, UNetConfig, LDMConfig, ImageMaskLDM, CineLDMConfig, CineLDM
from cmrnb.models.baselines import BaselineConfig, VAE3d, Generator3d, to_arrays

# tiny: the test size; quick: a laptop-class CPU size (64 x 64, 8 slices; 16 frames)
SIZES = {
    'tiny': dict(size=16, n_slices=4, n_frames=4, ae=dict(channels=(8, 16), norm_num_groups=4),
                 unet=dict(channels=(16, 32)), base=dict(channels=(16, 32), latent_dim=32)),
    'quick': dict(size=64, n_slices=8, n_frames=16, ae=dict(channels=(16, 32, 64), latent_channels=4, norm_num_groups=8),
                  unet=dict(channels=(32, 64, 64), attention_levels=(False, True, True), norm_num_groups=16, embed_dim=64),
                  base=dict(channels=(16, 32, 64, 64), latent_dim=128)),
    'thesis': dict(size=128, n_slices=10, n_frames=50, ae=None, unet=None, base=None),
}


def best(fn, repeats):
    "Best wall time (s) of `repeats` calls."
    t = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); t = min(t, time.perf_counter() - t0)
    return t


def models(name):
    s = SIZES[name]
    if s['ae'] is None:
        return (ImageMaskLDM(LDMConfig.thesis()), CineLDM(CineLDMConfig.thesis()), BaselineConfig.thesis(), BaselineConfig.thesis_cine())
    ae = AEConfig(size=s['size'], n_slices=s['n_slices'], **s['ae'])
    ldm = ImageMaskLDM(LDMConfig(ae, UNetConfig(**s['unet'])))
    cine = CineLDM(CineLDMConfig(ae, UNetConfig(cond_dim=8, **s['unet']), s['n_frames']))
    b3 = BaselineConfig(shape=(s['n_slices'], s['size'], s['size']), **s['base'])
    b4 = BaselineConfig(shape=(s['n_frames'], s['size'], s['size']), groups=s['n_slices'], cond_dim=8, **s['base'])
    return ldm, cine, b3, b4


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sizes', default='tiny,quick'); ap.add_argument('--steps', type=int, default=50)
    ap.add_argument('--batch', type=int, default=2); ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    torch.manual_seed(0); rows = []
    cond = [dict(age=55., sex=1, height=175., weight=80., smoking=0, alcohol=1, sbp=130., dbp=80.)] * a.batch
    for name in a.sizes.split(','):
        ldm, cine, b3, b4 = (m.eval() if isinstance(m, torch.nn.Module) else m for m in models(name))
        vae, gan, cvae, cgan = VAE3d(b3).eval(), Generator3d(b3).eval(), VAE3d(b4).eval(), Generator3d(b4).eval()
        c = torch.zeros(a.batch, 8)
        s = SIZES[name]; vol = f"{s['size']}x{s['size']}x{s['n_slices']}"; cin = f"{vol}x{s['n_frames']}"
        for model, what, shape, steps, fn in (
                ('LDM (ch. 5)', 'volume', vol, a.steps, lambda: ldm.sample(a.batch, n_steps=a.steps)),
                ('3D VAE', 'volume', vol, 1, lambda: to_arrays(vae.sample(a.batch), b3)),
                ('3D LSGAN', 'volume', vol, 1, lambda: to_arrays(gan.sample(a.batch), b3)),
                ('cond. LDM (ch. 6), CFG', 'cine', cin, a.steps, lambda: cine.sample(cond, guidance_scale=3., n_steps=a.steps)),
                ('CVAE', 'cine', cin, 1, lambda: to_arrays(cvae.sample(a.batch, c), b4)),
                ('CGAN', 'cine', cin, 1, lambda: to_arrays(cgan.sample(a.batch, c), b4))):
            with torch.no_grad(): dt = best(fn, a.repeats) / a.batch
            rows.append(dict(size=name, model=model, item=what, shape=shape, ddim_steps=steps, seconds_per_item=dt))
            print(f"{name:<7}{model:<24}{what:<7}{shape:<14}{steps:>6}{dt:>12.4f} s/{what}", flush=True)
    save_json({'rows': rows, 'torch_threads': torch.get_num_threads(), 'torch': torch.__version__, 'device': 'cpu',
               'weights': 'untrained (timing only)', 'batch': a.batch, 'machine': platform.platform()},
              repo_root()/'runs'/'benchmarks'/'ldm_speed.json')


if __name__ == '__main__': main()
