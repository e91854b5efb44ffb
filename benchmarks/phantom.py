"""Phantom throughput: frames per second of 4-chamber and short-axis cines at 128x128 and 256x256, and the time to
write a cohort (measured on a small cohort and extrapolated to 1,000 subjects and to a UK Biobank-sized 45,000 4-chamber
cines of 50 frames on 16 cores). Wall times share the machine with other jobs; the extrapolations use CPU time.
Run: .venv/bin/python benchmarks/phantom.py [--n 8] [--workers N]"""
import argparse, os, resource, shutil, tempfile, time
from pathlib import Path
from cmrnb.core import save_json, repo_root
from cmrnb.data import phantom as ph


def fps(fn, n_frames, reps=2):
    subj = [ph.sample_subject(i) for i in range(reps)]
    fn(subj[0], 4)                                          # warm-up
    t0 = time.process_time()                                # CPU time: robust to other jobs sharing the machine
    for s in subj: fn(s, n_frames)
    return reps * n_frames / (time.process_time() - t0)


def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--n', type=int, default=8); ap.add_argument('--workers', type=int, default=os.cpu_count())
    a = ap.parse_args(); res = {'cores': os.cpu_count(), 'workers': a.workers}
    for size in (128, 256):
        res[f'lax_fps_{size}'] = fps(lambda s, T: ph.lax_cine(s, T, size, seed=0), 50)
        res[f'sax_slice_fps_{size}'] = fps(lambda s, T: ph.sax_cine(s, T, size, 10, seed=0), 20) * 10
        res[f'tagging_slice_fps_{size}'] = fps(lambda s, T: ph.tagged_cine(s, T, size, seed=0), 20) * 3
    for views, key in ((('4ch',), 'lax'), (('sax', '4ch'), 'sax_lax')):
        d = Path(tempfile.mkdtemp())
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN); c0 = c0.ru_utime + c0.ru_stime
        t0 = time.perf_counter(); man = ph.write_cohort(d, a.n, seed=0, workers=a.workers, views=views, progress=False); dt = time.perf_counter() - t0
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN); cpu = c1.ru_utime + c1.ru_stime - c0
        shutil.rmtree(d)
        res[f'cohort_{key}_cpu_s_per_subject'] = cpu / a.n           # worker CPU time (rendering + NIfTI writing)
        res[f'cohort_{key}_n'] = a.n; res[f'cohort_{key}_s'] = dt; res[f'cohort_{key}_failed'] = int((man.error != '').sum())
        res[f'cohort_{key}_1000_s_extrapolated'] = dt / a.n * 1000
        res[f'cohort_{key}_core_s_per_subject'] = dt * a.workers / a.n
    res['ukbb_45000_lax_16cores_h_extrapolated'] = res['cohort_lax_cpu_s_per_subject'] * 45000 / 16 / 3600
    res['cohort_sax_lax_1000_16cores_s_extrapolated'] = res['cohort_sax_lax_cpu_s_per_subject'] * 1000 / 16
    w = max(len(k) for k in res)
    for k, v in res.items(): print(f"{k:<{w}}  {v:.2f}" if isinstance(v, float) else f"{k:<{w}}  {v}")
    save_json(res, repo_root()/'runs'/'benchmarks'/'phantom.json')


if __name__ == '__main__': main()
