"Integration and bad-input tests of cmrnb.models.gancmri at micro sizes (a few seconds)."
import numpy as np, pytest, torch
from cmrnb.core import ArtifactCache
from cmrnb.models.gancmri import gancmri_config, phantom_videos, trained_gancmri, GANcMRIConfig


def micro(**kw):
    return gancmri_config('smoke', **{**dict(n_subjects=5, n_test=2, n_frames=4, n_pca=1, train_steps=2, batch_size=4,
                                             proj_steps_first=2, proj_steps_next=1, w_stats_n=100), **kw})


def test_bad_configs():
    with pytest.raises(ValueError, match='n_test'): micro(n_test=5)
    with pytest.raises(ValueError, match='n_frames must be at least 4'): micro(n_frames=3, n_pca=0)
    with pytest.raises(ValueError, match="condition 'flu'"): micro(condition='flu')
    with pytest.raises(ValueError, match="split must be"): phantom_videos(micro(), 'val', ArtifactCache('/nonexistent'))


def test_interrupted_build_leaves_nothing(tmp_path, monkeypatch):
    "A failing projection build leaves the data and GAN artifacts complete, no projection artifact, only its work folder (to resume in)."
    cache = ArtifactCache(tmp_path)
    import cmrnb.models.gancmri as gm
    def boom(*a, **k): raise RuntimeError('interrupted')
    monkeypatch.setattr(gm, '_project_all', boom)
    with pytest.raises(RuntimeError, match='interrupted'): trained_gancmri(micro(), cache, device='cpu')
    names = sorted(p.name.split('-')[1] for p in tmp_path.iterdir() if not p.name.startswith('.'))
    assert names == ['data', 'gan'], names                     # no gancmri-proj artifact
    work = [p for p in tmp_path.glob('.gancmri-proj-*.partial')]
    assert len(work) == 1 and not (work[0]/'.complete').exists()   # its work folder, never taken for a built artifact
    monkeypatch.undo()
    g = trained_gancmri(micro(), cache, device='cpu')           # resumes from the cached data and GAN
    assert g.w_train.shape == (3, 4, 64) and torch.isfinite(g.w_train).all()


def test_config_roundtrip():
    "A config written to JSON (as the cache does) rebuilds the same config, nested StyleGAN2Config included."
    from dataclasses import asdict
    c = micro()
    assert GANcMRIConfig(**asdict(c)) == c
