"""SSIM throughput: cmrnb's batched torch SSIM against scikit-image on 1,000 frames of 128 x 128.

Run: .venv/bin/python benchmarks/ssim.py [--frames 1000] [--size 128] [--repeats 3]
Prints a table and writes runs/benchmarks/ssim.json. Not a timed test: numbers depend on the machine and its load.
"""
import argparse, os, platform, time
import numpy as np
import torch
import scipy.ndimage as ndi
from skimage.metrics import structural_similarity
from cmrnb.core import repo_root, save_json
from cmrnb.metrics.similarity import ssim, ms_ssim, four_gr_ssim


def frames(n, size, seed=0):
    "Smooth random frames in [0, 1] and noisy copies, float32 [n, 1, size, size]."
    rng = np.random.default_rng(seed)
    a = ndi.gaussian_filter(rng.random((n, 1, size, size), dtype=np.float32), (0, 0, 2, 2))
    a = (a - a.min()) / np.ptp(a)
    return a, np.clip(a + rng.normal(0, 0.05, a.shape).astype(np.float32), 0, 1)


def best_of(fn, repeats):
    "Best wall time of `repeats` runs (the least disturbed by other load) and the last result."
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); ts.append(time.perf_counter() - t)
    return min(ts), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--frames', type=int, default=1000); ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: torch default)')
    args = ap.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    n = args.frames
    a, b = frames(n, args.size)
    sk = lambda: np.array([structural_similarity(b[i, 0], a[i, 0], gaussian_weights=True, sigma=1.5,
                                                 use_sample_covariance=False, data_range=1.0) for i in range(n)])
    rows = []
    t, ref = best_of(sk, args.repeats)
    rows.append(dict(method='skimage structural_similarity (loop, float32)', device='cpu', seconds=t, fps=n / t, max_abs_diff=0.0))
    x, y = torch.from_numpy(b), torch.from_numpy(a)
    t, ours = best_of(lambda: ssim(x, y), args.repeats)
    rows.append(dict(method='cmrnb ssim (batched torch, float32)', device='cpu', seconds=t, fps=n / t,
                     max_abs_diff=float(np.abs(ours.numpy() - ref).max())))
    for name, fn in (('cmrnb ms_ssim (4 scales)', ms_ssim), ('cmrnb four_gr_ssim', four_gr_ssim)):
        t, _ = best_of(lambda: fn(x, y), args.repeats)
        rows.append(dict(method=name, device='cpu', seconds=t, fps=n / t, max_abs_diff=None))
    if torch.cuda.is_available():
        xc, yc = x.cuda(), y.cuda()
        def gpu():
            out = ssim(xc, yc); torch.cuda.synchronize(); return out
        gpu()                                                             # warm-up (kernels, band matrices)
        t, out = best_of(gpu, args.repeats)
        rows.append(dict(method='cmrnb ssim (batched torch, float32)', device=torch.cuda.get_device_name(), seconds=t,
                         fps=n / t, max_abs_diff=float(np.abs(out.cpu().numpy() - ref).max())))
    print(f"SSIM on {n} frames of {args.size} x {args.size} (best of {args.repeats}; torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs)")
    print(f"{'method':52s} {'device':>10s} {'s':>8s} {'frames/s':>10s} {'max |diff| vs skimage':>22s}")
    for r in rows:
        d = '' if r['max_abs_diff'] is None else f"{r['max_abs_diff']:.1e}"
        print(f"{r['method']:52s} {r['device'][:10]:>10s} {r['seconds']:8.3f} {r['fps']:10.0f} {d:>22s}")
    out = dict(frames=n, size=args.size, repeats=args.repeats, torch_threads=torch.get_num_threads(),
               cpu_count=os.cpu_count(), machine=platform.machine(), torch=torch.__version__, rows=rows,
               speedup_cpu=rows[1]['fps'] / rows[0]['fps'])
    path = repo_root() / 'runs' / 'benchmarks' / 'ssim.json'
    save_json(out, path); print(f"wrote {path}")


if __name__ == '__main__': main()
