"""Does synthetic data help segmentation? (issue 19's downstream test of the label VAE + SPADE GAN.)

Arms: a segmenter trained on n real ACDC training patients, alone and with synthetic (image, label) pairs from a label
VAE and SPADE GAN trained on those same patients (`cmrnb.analysis.synthetic`), the same budget in both arms, several
seeds (each seed draws other patients); every arm scored on the held-out ACDC patients of `acdc_split`.

Run: CMRNB_THREADS=1 .venv/bin/python benchmarks/synthetic_segmentation.py [--n-real 5 10 20] [--seeds 0 1 2] [--ratio 1.0]
Each arm trains once in the artifact cache (a killed run resumes) and is skipped when the JSON already holds it (--rescore
scores it again); one arm's per-patient scores are added to
benchmarks/results/synthetic_segmentation.json as soon as it is scored (with git SHA, machine and wall time), so several
processes may share the work (different --n-real or --seeds, one per core). The shape_synthesis experiment reports it.
"""
import argparse, json, time
import pandas as pd
from cmrnb.core import repo_root, save_json, data_root
from cmrnb.weights import machine_summary
from cmrnb.experiments import git_sha
from cmrnb.data.io import read_acdc
from cmrnb.analysis.segment import acdc_split, ed_es_study
from cmrnb.analysis.synthetic import downstream_scores, synthetic_benefit

OUT = repo_root()/'benchmarks'/'results'/'synthetic_segmentation.json'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--n-real', type=int, nargs='+', default=[5, 10, 20]); ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--ratio', type=float, default=1.0); ap.add_argument('--preset', default='quick')
    ap.add_argument('--rescore', action='store_true', help='score arms again that the JSON already holds')
    a = ap.parse_args(); sha = git_sha()      # the code this process loaded, whatever is committed while it runs
    root = data_root(required=True)/'acdc-training'
    test = [ed_es_study(read_acdc(root/p)) for p in acdc_split(root)[1]]
    for n in a.n_real:
        for s in a.seeds:
            for r in sorted({0.0, a.ratio}):          # --ratio 0: the real-only arms alone
                key = f"{a.preset} n={n} ratio={r:g} seed={s}"
                if not a.rescore and OUT.exists() and key in json.loads(OUT.read_text()):
                    print(f"{key}: already scored (--rescore to score it again)", flush=True); continue
                t = time.time(); df = downstream_scores(test, (n,), (r,), (s,), a.preset)
                arms = json.loads(OUT.read_text()) if OUT.exists() else {}      # re-read: another process may have added one
                arms[key] = {'preset': a.preset, 'n_real': n, 'synthetic_ratio': r, 'seed': s, 'git_sha': sha,
                    'machine': machine_summary(), 'wall_s_this_call': round(time.time() - t), 'rows': df.to_dict(orient='records')}
                save_json(arms, OUT)
                rows = [row for arm in arms.values() if arm['preset'] == a.preset for row in arm['rows']]
                try: print(synthetic_benefit(pd.DataFrame(rows)).round(3).to_string(index=False), flush=True)
                except (KeyError, ValueError): pass                           # not yet a real-only and a synthetic arm at one n
                print(f"n={n} ratio={r:g} seed={s}: {time.time() - t:.0f} s", flush=True)


if __name__ == '__main__': main()
