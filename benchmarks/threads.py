"""Torch threads on a small CPU, idle and busy: seconds per training step of the quick segmenter at 1..N threads, with
the machine otherwise idle and with one busy-looping process beside it (as when anything else runs).

Run: .venv/bin/python benchmarks/threads.py [--steps 10] [--max-threads 2]
Prints a table and writes runs/benchmarks/threads.json. Why cmrnb defaults to one thread (`CMRNB_THREADS`): the
many-thread case is fastest only on an idle machine and several times slower on a busy one.
Not a timed test: numbers depend on the machine and its load.
"""
import argparse, json, multiprocessing as mp, os, subprocess, sys, time
from cmrnb.core import repo_root, save_json

STEP = """
import sys, time, torch
from monai.losses import DiceCELoss
from cmrnb.core import set_threads
from cmrnb.analysis.segment import SegNet, SegConfig, seg_config
set_threads(int(sys.argv[1])); steps = int(sys.argv[2])
cfg = seg_config('quick', acdc=False); torch.manual_seed(0)
net = SegNet(6, cfg.channels); opt = torch.optim.Adam(net.parameters(), 1e-3); loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
x, y = torch.rand(cfg.batch_size, 1, cfg.size, cfg.size), torch.randint(0, 6, (cfg.batch_size, 1, cfg.size, cfg.size))
for i in range(steps + 3):
    if i == 3: t = time.perf_counter()
    loss = loss_fn(net(x), y); opt.zero_grad(); loss.backward(); opt.step()
print((time.perf_counter() - t) / steps)
"""


def busy(stop):
    "Keep one core busy until `stop` is set."
    while not stop.is_set(): pass


def seconds_per_step(threads:int, steps:int)->float:
    out = subprocess.run([sys.executable, '-c', STEP, str(threads), str(steps)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--steps', type=int, default=10); ap.add_argument('--max-threads', type=int, default=os.cpu_count())
    a = ap.parse_args()
    rows = []
    for load in ('idle', 'one busy process'):
        stop = mp.Event(); hog = mp.Process(target=busy, args=(stop,)) if load != 'idle' else None
        if hog: hog.start()
        try: rows += [{'load': load, 'threads': n, 's_per_step': seconds_per_step(n, a.steps)} for n in range(1, a.max_threads + 1)]
        finally:
            if hog: stop.set(); hog.join()
    print(f"quick segmenter training step, {os.cpu_count()} cores")
    print(f"{'load':18s} {'threads':>7s} {'s/step':>8s}")
    for r in rows: print(f"{r['load']:18s} {r['threads']:7d} {r['s_per_step']:8.3f}")
    save_json(rows, repo_root()/'runs'/'benchmarks'/'threads.json')


if __name__ == '__main__':
    main()
