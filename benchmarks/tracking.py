"""Tag-tracker speed: HARP frames per second on synthetic tagged cines (and on the phantom's tagging when present),
and strain-from-landmarks throughput. Run: .venv/bin/python benchmarks/tracking.py  -> runs/benchmarks/tracking.json"""
import time, platform
import numpy as np
from cmrnb.core import repo_root, save_json
from cmrnb.analysis.strain import ring_landmarks, landmark_strain
from cmrnb.analysis.harp import harp_track, synthetic_tagging


def bench(fn, repeats=3):
    "Best wall time of `repeats` calls (s)."
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t0)
    return best


rows = []
for size, T in ((96, 20), (128, 20), (256, 20)):
    c = size / 2; lm0 = ring_landmarks((c, c), 10.5 * size / 96, 18.5 * size / 96)
    cine, truth = synthetic_tagging(T=T, size=size, lm0=lm0, period=8. * size / 96)
    dt = bench(lambda: harp_track(cine, lm0, 8. * size / 96))
    err = np.linalg.norm(harp_track(cine, lm0, 8. * size / 96) - truth, axis=-1).mean()
    rows.append(dict(tracker='harp', data='synthetic', size=size, frames=T, landmarks=168, seconds=dt, fps=T / dt,
                     mean_error_px=float(err)))

try:
    from cmrnb.data import phantom as ph
    from cmrnb.analysis.harp import harp_track_study
    s = ph.tagged_cine(ph.sample_subject(0), n_frames=20, size=128, snr=20, seed=0)
    T, S = s.image.shape[:2]
    dt = bench(lambda: harp_track_study(s), repeats=1)
    err = np.linalg.norm(harp_track_study(s) - s.landmarks, axis=-1).mean()
    rows.append(dict(tracker='harp', data='phantom tagged_cine', size=128, frames=T * S, landmarks=168, seconds=dt,
                     fps=T * S / dt, mean_error_px=float(err)))
except (ImportError, AttributeError) as e:
    print(f"phantom tagging not available: {e}")

lm = np.random.default_rng(0).normal(50, 10, (20, 3, 168, 2))
dt = bench(lambda: landmark_strain(lm, (1.4, 1.4)), repeats=10)
rows.append(dict(tracker='landmark_strain', data='random landmarks', size=0, frames=60, landmarks=168, seconds=dt,
                 fps=60 / dt, mean_error_px=float('nan')))

print(f"{'what':<16}{'data':<22}{'size':>5}{'frames':>7}{'s':>9}{'frames/s':>10}{'err px':>8}")
for r in rows:
    print(f"{r['tracker']:<16}{r['data']:<22}{r['size']:>5}{r['frames']:>7}{r['seconds']:>9.3f}{r['fps']:>10.0f}{r['mean_error_px']:>8.3f}")
save_json({'rows': rows, 'machine': platform.platform(), 'processor': platform.processor()},
          repo_root()/'runs'/'benchmarks'/'tracking.json')
