"""How much guidance helps CPGG follow its requests: the shipped quick pipeline generates cines for the phenotype vectors
of held-out subjects at several classifier-free guidance scales, constant over the decoding steps or growing linearly with
the share of tokens known (MAR's schedule); the deep segmenter measures LVEF and LVEDV on them (the cpgg experiment's
instrument and settings: 8 MAR steps x 20 head steps), beside the real cines and the training-mean guess.

Run: CMRNB_THREADS=2 .venv/bin/python benchmarks/cpgg_guidance.py [--n 200] [--scales 1 2 3] [--schedules constant linear]
Results go to benchmarks/results/cpgg_guidance.json (git SHA, machine) and a markdown table is printed.
"""
import argparse, time
from cmrnb.core import repo_root, save_json
from cmrnb.weights import machine_summary
from cmrnb.experiments import git_sha
from cmrnb.models.phenovae import PHENO_VECTOR
from cmrnb.models.cpgg import trained_cpgg, cpgg_data, cine_phenotypes, adherence
from cmrnb.analysis.segment import trained_segmenter

OUT = repo_root()/'benchmarks'/'results'/'cpgg_guidance.json'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--n', type=int, default=200); ap.add_argument('--scales', type=float, nargs='+', default=[1., 2., 3.])
    ap.add_argument('--schedules', nargs='+', default=['constant', 'linear'], choices=['constant', 'linear'])
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args(); cp = trained_cpgg('quick'); net, seg_cfg, _ = trained_segmenter('deep')
    (train, ph_tr), (test, ph) = cpgg_data(cp.cfg, 'train'), cpgg_data(cp.cfg, 'test')
    px = cp.cfg.data_config().px; req = ph.head(a.n)
    center = train.heart_center()
    mean = ph_tr[list(PHENO_VECTOR)].mean()
    def row(v):
        m = cine_phenotypes(net, seg_cfg, v, px, center); ad = adherence(req, m, mean)
        return dict(lvef_r=ad.loc['LVEF', 'r'], lvef_mae=ad.loc['LVEF', 'mae'], lvedv_r=ad.loc['LVEDV', 'r'], lvedv_mae=ad.loc['LVEDV', 'mae'],
                    lvef_sd=float(m.LVEF_al.std()), mean_guess_lvef_mae=ad.loc['LVEF', 'mean_guess_mae'])
    out = {'real cines': row(test.tensor(range(a.n)))}
    for sched in a.schedules:
        for s in a.scales:
            if s == 1 and sched != a.schedules[0]: continue            # scale 1 is unguided whatever the schedule
            t0 = time.time(); v = cp.generate(req, cfg_scale=s, steps=8, sample_steps=20, seed=a.seed, batch=16, cfg_schedule=sched)
            sec = (time.time() - t0) / a.n; out[f'CFG {s:g} {sched}'] = {**row(v), 'seconds_per_video': sec}
            print(f"CFG {s:g} {sched}:", {k: round(float(x), 3) for k, x in out[f"CFG {s:g} {sched}"].items()}, flush=True)
    save_json({'results': out, 'n': a.n, 'seed': a.seed, 'git_sha': git_sha(), 'machine': machine_summary()}, OUT)
    cols = ['lvef_r', 'lvef_mae', 'lvedv_r', 'lvedv_mae', 'lvef_sd', 'mean_guess_lvef_mae']
    print('| cines | ' + ' | '.join(cols) + ' |\n|---|' + '---|' * len(cols))
    for k, r in out.items(): print(f'| {k} | ' + ' | '.join(f'{r[c]:.3g}' for c in cols) + ' |')


if __name__ == '__main__': main()
