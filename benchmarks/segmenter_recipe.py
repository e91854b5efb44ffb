"""What each part of the deep segmenter recipe buys: the `deep` preset trained for a shorter budget, and the same with one
part taken away (strong augmentation, the 1.5 mm grid, deep supervision, per-slice intensity scaling) or nnU-Net's
mirroring added, each scored on the held-out ACDC patients (ED and ES Dice, LVEF/LVM errors, LVEF error per group) and
held-out phantom subjects.

Run: CMRNB_THREADS=1 .venv/bin/python benchmarks/segmenter_recipe.py [--steps 1500] [--only NAME ...]
Each variant trains once in the artifact cache (a killed run resumes); results accumulate in
benchmarks/results/segmenter_recipe.json (one entry per variant, with git SHA, machine and training time) and a markdown
table is printed. Several processes may run different variants at once (`--only`), one per core.
"""
import argparse, json, time
from cmrnb.core import repo_root, save_json
from cmrnb.weights import with_overrides, machine_summary
from cmrnb.experiments import git_sha
from cmrnb.analysis.segment import seg_config, segmenter_checkpoint, load_segmenter, heldout_scores

VARIANTS = {   # name -> overrides of the deep preset (besides steps), in the order they run
    'deep': {},
    'basic augmentation': {'augment': 'basic'},
    '2 mm grid (96 px)': {'spacing': 2.0, 'size': 96},
    'no deep supervision': {'deep_supervision': 0},
    'study intensity scale': {'normalise': False},
    '+ mirroring': {'augment': 'strong-mirror'},
}
OUT = repo_root()/'benchmarks'/'results'/'segmenter_recipe.json'


def run(name:str, steps:int, sha:str)->dict:
    cfg = with_overrides(seg_config('deep'), {**VARIANTS[name], 'steps': steps})
    t = time.time(); ckpt = segmenter_checkpoint(cfg); train_s = time.time() - t
    net, cfg = load_segmenter(ckpt)
    t = time.time(); scores = heldout_scores(net, cfg); score_s = time.time() - t
    if cfg.augment == 'strong-mirror':   # trained with mirroring: also scored with test-time mirroring, as nnU-Net does
        scores.update({f'tta_{k}': v for k, v in heldout_scores(net, cfg, mirror=True).items()})
    return {'variant': name, 'overrides': VARIANTS[name], 'steps': steps, 'git_sha': sha, 'machine': machine_summary(),
            'train_s_this_call': round(train_s), 'score_s': round(score_s), **scores}


def table(results:dict)->str:
    cols = ['acdc_dice_lv_ed', 'acdc_dice_myo_ed', 'acdc_dice_rv_ed', 'acdc_dice_lv_es', 'acdc_dice_myo_es', 'acdc_dice_rv_es',
            'LVEF_mae', 'LVM_mae', 'phantom_sax_dice_myo_ed', 'phantom_4ch_dice_myo_ed']
    lines = ['| variant | steps | ' + ' | '.join(cols) + ' |', '|---|---|' + '---|' * len(cols)]
    for r in results.values(): lines.append(f"| {r['variant']} | {r['steps']} | " + ' | '.join(f"{r.get(c, float('nan')):.3f}" for c in cols) + ' |')
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--steps', type=int, default=1500); ap.add_argument('--only', nargs='*', default=list(VARIANTS))
    a = ap.parse_args(); sha = git_sha()      # the code this process loaded, whatever is committed while it runs
    for name in a.only:
        r = run(name, a.steps, sha)
        results = json.loads(OUT.read_text()) if OUT.exists() else {}      # re-read: another process may have added one
        results[f"{name} @ {a.steps}"] = r; save_json(results, OUT)
        print(table(results), flush=True)


if __name__ == '__main__': main()
