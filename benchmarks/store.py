"""Memory-mapped frame store: build >= 200,000 frames at 128 x 128, read them at random through a DataLoader.

    .venv/bin/python benchmarks/store.py [--n 200000] [--size 128] [--reads 100000] [--workers 2]

Reports build time, read frames/s and the peak resident memory (RSS) of the reader and its DataLoader workers
(sampled every 50 ms with psutil, summed over the processes), checks a sample of frames against their source, writes
runs/benchmarks/store.json and deletes the store afterwards (it is 3.3 GB at the default size).
"""
import argparse, shutil, threading, time
from pathlib import Path
import numpy as np
import psutil
import torch
from cmrnb.core import repo_root, save_json
from cmrnb.data.datasets import FrameStore


def bases(size, n_base=64, seed=0):
    "Smooth random base images in [0, 1]."
    from scipy import ndimage
    rng = np.random.default_rng(seed)
    b = np.stack([ndimage.gaussian_filter(rng.random((size, size)), 3) for _ in range(n_base)])
    return (b - b.min((1, 2), keepdims=True)) / np.ptp(b, (1, 2), keepdims=True)


def frame_k(base, k):
    "Source frame k: a base rolled and scaled; cheap and different from its neighbours."
    return np.roll(base[k % len(base)], k % base.shape[-1], axis=1) * (0.5 + 0.5 * ((k * 7919) % 101) / 100)


def source_frames(n, base):
    "(frame, subject) pairs; 100 frames per subject."
    for k in range(n): yield frame_k(base, k), f"s{k // 100:06d}"


class RssMonitor(threading.Thread):
    "Peak of the summed RSS of this process and its children (DataLoader workers)."
    def __init__(self, every=0.05):
        super().__init__(daemon=True); self.every, self.peak, self.peak_main, self.stop = every, 0, 0, False
    def run(self):
        me = psutil.Process()
        while not self.stop:
            try:
                procs = [me] + me.children(recursive=True)
                rss = [p.memory_info().rss for p in procs]
                self.peak, self.peak_main = max(self.peak, sum(rss)), max(self.peak_main, rss[0])
            except psutil.Error: pass
            time.sleep(self.every)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=200_000); ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--reads', type=int, default=100_000); ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--batch', type=int, default=256); ap.add_argument('--path', default=None)
    a = ap.parse_args()
    out = repo_root()/'runs'/'benchmarks'; path = Path(a.path) if a.path else out/'store_tmp'
    need = a.n * a.size * a.size * 1.05
    free = shutil.disk_usage(path.parent if path.parent.exists() else repo_root()).free
    if free < need + 5e9: raise SystemExit(f"need {need / 1e9:.1f} GB (+5 GB spare) free, have {free / 1e9:.1f} GB")
    mon = RssMonitor(); mon.start()
    try:
        t0 = time.time(); base = bases(a.size); store = FrameStore.build(path, source_frames(a.n, base)); t_build = time.time() - t0
        rss_after_build = psutil.Process().memory_info().rss
        mon.peak = mon.peak_main = 0                          # the read phase is what the 4 GB bound is about
        dl = torch.utils.data.DataLoader(store, batch_size=a.batch, num_workers=a.workers,
                                         sampler=torch.utils.data.RandomSampler(store, num_samples=a.reads))
        t0 = time.time(); n, checksum = 0, 0.
        for b in dl: n += b.shape[0]; checksum += float(b.mean())
        t_read = time.time() - t0
        mon.stop = True; mon.join()
        rng = np.random.default_rng(1); ks = rng.integers(0, a.n, 5)
        err = max(float(np.abs(store[int(k)][0].numpy() - frame_k(base, int(k))).max()) for k in ks)
        res = {'frames': a.n, 'size': a.size, 'dtype': 'uint8', 'store_gb': (path/'frames.bin').stat().st_size / 1e9,
               'build_s': round(t_build, 1), 'build_frames_per_s': round(a.n / t_build), 'reads': n, 'workers': a.workers,
               'batch': a.batch, 'read_s': round(t_read, 1), 'read_frames_per_s': round(n / t_read),
               'peak_rss_read_gb': round(mon.peak / 1e9, 3), 'peak_rss_main_read_gb': round(mon.peak_main / 1e9, 3),
               'rss_after_build_gb': round(rss_after_build / 1e9, 3), 'max_abs_error_vs_source': err,
               'rss_under_4gb': mon.peak < 4e9}
    finally:
        mon.stop = True; shutil.rmtree(path, ignore_errors=True)
    save_json(res, out/'store.json')
    w = max(map(len, res))
    for k, v in res.items(): print(f"{k:<{w}}  {v}")
    print(f"wrote {out/'store.json'}; store deleted")
    assert err <= 0.5 / 255 + 1e-6, f"frames read back differ from their source by {err}"


if __name__ == '__main__':
    main()
