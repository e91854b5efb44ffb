"""Does CPGG's video VAE keep the heart's motion? Variants of the quick video VAE trained for the same steps on CPGG's
quick training cines, scored by the instrument CPGG's adherence is scored with: the deep segmenter's area-length LVEF
and LVEDV on the reconstructions of held-out cines against the phantom's truth (beside the same on the real cines and
the training-mean guess), with SSIM. A generator that decodes through the VAE cannot beat its reconstructions.

Run: CMRNB_THREADS=2 .venv/bin/python benchmarks/video_vae_motion.py [--steps 2400 (the quick recipe's)] [--variants quick no_t_down motion] [--n 60]
Each variant trains once in the artifact cache (resumable); results accumulate in benchmarks/results/video_vae_motion.json
(git SHA, machine, training time) and a markdown table is printed.
"""
import argparse, dataclasses, json, time
import numpy as np, torch
from cmrnb.core import ArtifactCache, repo_root, save_json, load_checkpoint
from cmrnb.weights import machine_summary
from cmrnb.experiments import git_sha
from cmrnb.models import videovae
from cmrnb.models.videovae import train_video_vae, load_video_vae, video_vae_scores
from cmrnb.models.phenovae import PHENO_VECTOR
from cmrnb.models.cpgg import cpgg_config, cpgg_data, cine_phenotypes, adherence
from cmrnb.analysis.segment import trained_segmenter

OUT = repo_root()/'benchmarks'/'results'/'video_vae_motion.json'
VARIANTS = {'quick': {}, 'no_t_down': dict(t_down=(False,)), 'motion': dict(motion_weight=10.)}   # add recipes here (space-to-depth 2 with (32, 64, 64) channels: 1.05 s/step at 2 threads, 4.6x quick)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--steps', type=int, default=cpgg_config('quick').vae_steps); ap.add_argument('--n', type=int, default=60)
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    a = ap.parse_args(); cache, cfg = ArtifactCache(), cpgg_config('quick')
    (train, ph_tr), (test, ph) = cpgg_data(cfg, 'train', cache, progress=True), cpgg_data(cfg, 'test', cache)
    x_train = torch.from_numpy(np.array(train.videos))[:, None]; x = test.tensor(range(a.n)); req = ph.head(a.n)
    net, seg_cfg, _ = trained_segmenter('deep')
    px = cfg.data_config().px
    center = train.heart_center()
    mean = ph_tr[list(PHENO_VECTOR)].mean(); x_mean = train.tensor(range(256)).mean(0)
    def row(v):
        ad = adherence(req, m := cine_phenotypes(net, seg_cfg, v, px, center), mean)
        return dict(lvef_mae=ad.loc['LVEF', 'mae'], lvef_r=ad.loc['LVEF', 'r'], lvedv_mae=ad.loc['LVEDV', 'mae'],
                    lvef_mean=float(m.LVEF_al.mean()), mean_guess_lvef_mae=ad.loc['LVEF', 'mean_guess_mae'])
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    results['real cines'] = {**row(x), 'ssim': 1.0, 'steps': 0, 'train_s': 0.0}
    for name in a.variants:
        vcfg = dataclasses.replace(cfg.vae, **VARIANTS[name]); key = {'vae': dataclasses.asdict(vcfg), 'steps': a.steps, 'data': cfg.data_config().data_key()}
        folder = cache.get_or_build('video-vae-motion', key, lambda f: train_video_vae(x_train, vcfg, f, a.steps, cfg.vae_batch, cfg.vae_lr, cfg.seed),
                                    code=(videovae,))
        net_v, _ = load_video_vae(folder/'videovae.pt'); train_s = float(load_checkpoint(folder/'last.pt').get('elapsed_s', float('nan')))
        results[f'{name} @ {a.steps}'] = {**row(net_v.reconstruct(x)), 'ssim': video_vae_scores(net_v, x, x_mean)['recon_ssim'],
                                          'steps': a.steps, 'train_s': train_s, 'latent_shape': list(vcfg.latent_shape)}
        results[f'{name} @ {a.steps}'].update(git_sha=git_sha(), machine=machine_summary()); save_json(results, OUT)
    cols = ['lvef_mae', 'lvef_r', 'lvef_mean', 'lvedv_mae', 'ssim', 'mean_guess_lvef_mae']
    print('| cines | ' + ' | '.join(cols) + ' |\n|---|' + '---|' * len(cols))
    for k, r in results.items(): print(f'| {k} | ' + ' | '.join(f'{r[c]:.3g}' for c in cols) + ' |', flush=True)


if __name__ == '__main__': main()
