"""GANcMRI speed: seconds per 50-frame video (ED-to-ES and frame-to-frame, all frames in one synthesis batch) and
projection seconds per frame, for StyleGAN2 at the paper's 256 x 256 config (random weights: timing only).

Run:  .venv/bin/python benchmarks/gancmri_speed.py            -> runs/benchmarks/gancmri_speed.json
      .venv/bin/python benchmarks/gancmri_speed.py --config tiny --videos 1 4 --repeats 5
On CUDA the generator runs channels-last under bfloat16 autocast; the paper's anchor is 0.73 s (F2F) and 0.71 s
(ED-to-ES) per video on an RTX 2080 Ti; the issue's goal on a modern GPU is < 50 ms per video.
Projection time is measured over `--proj-steps` steps and reported per step and per frame for the full schedule
(1000 steps) and for a 50-frame video with warm starts (1000 steps for frame 1 + 100 for each later frame)."""
import argparse, platform, time
import torch
from cmrnb.core import repo_root, save_json, get_device, n_params
from cmrnb.models.stylegan2 import StyleGAN2Config, Generator
from cmrnb.models.trajectories import ed_es_video, f2f_video, f2f_directions
from cmrnb.models.projector import project, w_stats

ap = argparse.ArgumentParser()
ap.add_argument('--config', default='paper', choices=['paper', 'tiny'])
ap.add_argument('--frames', type=int, default=50)
ap.add_argument('--videos', type=int, nargs='+', default=None, help='videos per batch to try (default: 1 2 on CPU, 1 2 4 8 16 on GPU)')
ap.add_argument('--repeats', type=int, default=None, help='timed repeats (best is kept); default 1 on CPU, 10 on GPU')
ap.add_argument('--proj-steps', type=int, default=3)
ap.add_argument('--proj-frames', type=int, default=2)
ap.add_argument('--device', default=None)
a = ap.parse_args()

dev = get_device(a.device); cuda = dev.type == 'cuda'
videos = a.videos or ([1, 2, 4, 8, 16] if cuda else [1])
repeats = a.repeats or (10 if cuda else 1)
cfg = StyleGAN2Config.paper() if a.config == 'paper' else StyleGAN2Config.tiny()
torch.manual_seed(0)
G = Generator(cfg).eval().requires_grad_(False).to(dev)
if cuda: G = G.to(memory_format=torch.channels_last); torch.backends.cudnn.benchmark = True


def timed(fn):
    "Best wall time of `repeats` calls (s), after one warm-up call on GPU (or when repeating)."
    if cuda or repeats > 1: fn()
    best = float('inf')
    for _ in range(repeats):
        if cuda: torch.cuda.synchronize()
        t0 = time.perf_counter(); fn()
        if cuda: torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best


T, rows = a.frames, []
k = 0.5 * torch.randn(cfg.w_dim, device=dev)
ks = torch.as_tensor(f2f_directions(torch.randn(4, T, cfg.w_dim).cumsum(1) * 0.1, min(32, T - 3)), dtype=torch.float32)
for B in videos:
    w1 = G.sample_w(B).to(dev)
    for method, fn in (('ED-to-ES', lambda: ed_es_video(G, w1, k, T)), ('F2F', lambda: f2f_video(G, w1, ks))):
        dt = timed(fn)
        rows.append(dict(what=f'video {method}', videos_per_batch=B, frames=T, seconds_per_video=dt / B))
        print(f"{method:<9} {B:>3} videos/batch  {dt / B:8.3f} s per {T}-frame video", flush=True)

stats = w_stats(G, 1000)
frames = G.render(G.sample_w(a.proj_frames).to(dev))
project(G, frames, steps=1, stats=stats)                                       # warm-up
if cuda: torch.cuda.synchronize()
t0 = time.perf_counter(); project(G, frames, steps=a.proj_steps, stats=stats)
if cuda: torch.cuda.synchronize()
per_step = (time.perf_counter() - t0) / (a.proj_steps * a.proj_frames)
video_steps = (1000 + 100 * (T - 1)) / T
rows.append(dict(what='projection', frames_per_batch=a.proj_frames, seconds_per_step_per_frame=per_step,
                 seconds_per_frame_1000_steps=1000 * per_step, seconds_per_frame_video_warm=video_steps * per_step))
print(f"projection: {per_step:.3f} s per step per frame ({a.proj_frames} frames x {a.proj_steps} steps); "
      f"{1000 * per_step:.1f} s per frame at 1000 steps; {video_steps * per_step:.1f} s per frame for a warm-started {T}-frame video")

save_json({'rows': rows, 'config': a.config, 'resolution': cfg.resolution, 'generator_params': n_params(G),
           'weights': 'random (timing only)', 'device': str(dev),
           'device_name': torch.cuda.get_device_name() if cuda else platform.processor() or platform.machine(),
           'torch_threads': torch.get_num_threads(), 'amp': 'bfloat16 + channels_last' if cuda else 'float32',
           'machine': platform.platform()}, repo_root()/'runs'/'benchmarks'/'gancmri_speed.json')
