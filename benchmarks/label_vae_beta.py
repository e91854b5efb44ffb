"""Why the label VAE weighs its KL term: the quick recipe at a short budget with KL weights 1, 4 and 16, each scored on
the held-out ACDC maps (`label_vae_scores`: reconstruction Dice, plausible shares of prior samples and interpolations).

Run: CMRNB_THREADS=1 .venv/bin/python benchmarks/label_vae_beta.py [--steps 600] [--betas 1 4 16]
Each variant trains once in the artifact cache; results accumulate in benchmarks/results/label_vae_beta.json (with git
SHA, machine and training time) and a markdown table is printed.
"""
import argparse, dataclasses, json, time
from cmrnb.core import repo_root, save_json
from cmrnb.weights import machine_summary
from cmrnb.experiments import git_sha
from cmrnb.models.labelvae import label_vae_config, label_vae_checkpoint, load_label_vae, label_vae_scores

OUT = repo_root()/'benchmarks'/'results'/'label_vae_beta.json'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--steps', type=int, default=600); ap.add_argument('--betas', type=float, nargs='+', default=[1.0, 4.0, 16.0])
    a = ap.parse_args(); sha = git_sha()
    for beta in a.betas:
        cfg = dataclasses.replace(label_vae_config('quick'), kl_weight=beta, steps=a.steps)
        t = time.time(); vae, cfg = load_label_vae(label_vae_checkpoint(cfg)); train_s = time.time() - t
        results = json.loads(OUT.read_text()) if OUT.exists() else {}
        results[f"kl_weight {beta:g} @ {a.steps}"] = {'kl_weight': beta, 'steps': a.steps, 'git_sha': sha, 'machine': machine_summary(),
                                                       'train_s_this_call': round(train_s), **label_vae_scores(vae, cfg)}
        save_json(results, OUT)
        cols = ['recon_dice_lv', 'recon_dice_myo', 'recon_dice_rv', 'heldout_plausible', 'prior_plausible', 'interp_plausible']
        print('| variant | ' + ' | '.join(cols) + ' |\n|---|' + '---|' * len(cols))
        for k, r in results.items(): print(f'| {k} | ' + ' | '.join(f'{r[c]:.3f}' for c in cols) + ' |', flush=True)


if __name__ == '__main__': main()
