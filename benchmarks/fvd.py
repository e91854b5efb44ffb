"""Benchmark: cFVD end to end on CPU with cmrnb's cardiac extractor, for two sets of N clips.

Run: .venv/bin/python benchmarks/fvd.py [--n-clips 2048] [--size 128] [--frames 50] [--chunk 64]
Toy cines (a disc in a ring beating over a cycle) are made on the fly in chunks, 16 equally spaced frames of each are
encoded (CardiacEncoder, untrained stand-in: the timing does not depend on the weights), clip embeddings accumulate in a
FrechetDistance, and the distance is computed at the end. Prints a table; writes runs/benchmarks/fvd.json.
"""
import argparse, platform, time
import numpy as np
import torch
from cmrnb.core import repo_root, save_json
from cmrnb.metrics.features import CardiacClipExtractor, cardiac_encoder
from cmrnb.metrics.frechet import FrechetDistance


def beating_discs(n, T, size, rng):
    "[n, 1, T, size, size] toy cines, vectorised."
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    c = rng.uniform(0.4, 0.6, (n, 2)) * size; r0 = rng.uniform(0.18, 0.26, n) * size; a = rng.uniform(0.2, 0.4, n)
    r = (r0[:, None] * (1 - a[:, None] * (1 - np.cos(2 * np.pi * np.arange(T) / T)) / 2))[:, :, None, None]   # [n, T, 1, 1]
    d = np.hypot(yy - c[:, 0, None, None], xx - c[:, 1, None, None])[:, None]                              # [n, 1, H, W]
    v = 0.9 * (d < r) + 0.35 * ((d >= r) & (d < r + 0.12 * size))
    return (v.astype(np.float32) + 0.02 * rng.standard_normal(v.shape, dtype=np.float32))[:, None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n-clips', type=int, default=2048, help='clips per set (two sets)')
    ap.add_argument('--size', type=int, default=128); ap.add_argument('--frames', type=int, default=50)
    ap.add_argument('--chunk', type=int, default=64); ap.add_argument('--threads', type=int, default=0)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    ex = CardiacClipExtractor(cardiac_encoder(), batch_size=256)
    fd, rng = FrechetDistance(ex.name, allow_singular=a.n_clips <= ex.dim), np.random.default_rng(0)   # small smoke runs only
    t_gen = t_feat = 0.
    t0 = time.perf_counter()
    for which in ('real', 'fake'):
        for s in range(0, a.n_clips, a.chunk):
            t = time.perf_counter(); v = beating_discs(min(a.chunk, a.n_clips - s), a.frames, a.size, rng); t_gen += time.perf_counter() - t
            t = time.perf_counter(); f = ex(v); t_feat += time.perf_counter() - t
            fd(f, None) if which == 'fake' else fd(None, f)
    t = time.perf_counter(); dist = fd.aggregate(); t_fd = time.perf_counter() - t
    total = time.perf_counter() - t0
    frames = 2 * a.n_clips * ex.n_frames
    res = dict(name=ex.name, n_clips_per_set=a.n_clips, size=a.size, frames_per_video=a.frames, clip_frames=ex.n_frames,
               feature_dim=ex.dim, distance=dist, t_total_s=total, t_generate_s=t_gen, t_features_s=t_feat, t_frechet_s=t_fd,
               frames_per_s=frames / t_feat, clips_per_s=2 * a.n_clips / t_feat, torch_threads=torch.get_num_threads(),
               cpu=platform.processor() or platform.machine(), torch=torch.__version__)
    for k in ('name', 'n_clips_per_set', 'size', 'feature_dim', 'distance', 't_total_s', 't_generate_s', 't_features_s',
              't_frechet_s', 'frames_per_s', 'clips_per_s', 'torch_threads'):
        v = res[k]; print(f"{k:>16}: {v:.4g}" if isinstance(v, float) else f"{k:>16}: {v}")
    out = repo_root() / 'runs' / 'benchmarks' / 'fvd.json'; save_json(res, out); print(f"wrote {out}")


if __name__ == '__main__':
    main()
