"The learned tag tracker: invariances, training resume, the cache, bad input and faulty checkpoints."
import numpy as np
import pytest
import torch
from cmrnb.core import DataError, CheckpointError, ArtifactCache
from cmrnb.analysis.strain import ring_landmarks, landmark_strain
from cmrnb.analysis.tracking import (TrackerNet, canonical_frame, crop_frames, to_canonical, tracker_config, train_tracker,
                                     load_tracker, trained_tracker, track, phantom_sequences, phantom_tagging, HELDOUT_SEED)


@pytest.fixture(scope="module")
def tiny():
    "A 2-step tracker and a held-out study at the smoke geometry."
    cfg = tracker_config('smoke', steps=2, subjects=1)
    return cfg, phantom_sequences(cfg, workers=1), phantom_tagging(HELDOUT_SEED, cfg)


def test_canonical_crop_is_pose_invariant():
    "A rotated, shifted and scaled copy of an image gives the same LV-centred crop from its transformed landmarks."
    rng = np.random.default_rng(0)
    base = torch.from_numpy(rng.random((64, 64))).float()
    lm = torch.tensor(ring_landmarks((31.5, 31.5), 8, 14, angle0=0.5), dtype=torch.float32)[None]
    c, s, a = canonical_frame(lm)
    ref = crop_frames(base[None, None], c, s, a, 16, 1.2)
    # the image flipped left-right and up-down is a rotation by pi about the centre: landmarks follow
    img2 = torch.flip(base, (0, 1))[None, None]
    lm2 = 63 - lm
    c2, s2, a2 = canonical_frame(lm2)
    assert torch.allclose(a2 - a, torch.tensor([np.pi - 2 * np.pi * (a.item() > 0)]), atol=1e-5)
    got = crop_frames(img2, c2, s2, a2, 16, 1.2)
    assert (got - ref).abs().max() < 1e-4


def test_train_resume_cache_and_track(tmp_path, tiny):
    cfg, data, study = tiny
    net = train_tracker(cfg, tmp_path/'a', data=data, progress=False)
    assert (tmp_path/'a'/'tracker.pt').exists()
    net2 = train_tracker(cfg, tmp_path/'a', data=data, progress=False)          # resumes at the end: nothing to do
    for x, y in zip(net.state_dict().values(), net2.state_dict().values()): assert torch.equal(x, y)   # bit-exact: reloaded
    lm = track(net, cfg, study)
    assert lm.shape == study.landmarks.shape and np.array_equal(lm[study.ed], study.landmarks[study.ed])   # ED: copied
    st = landmark_strain(lm, study.spacing)                                   # the output feeds strain directly
    assert np.isfinite(st['Ecc_global']).all() and st['Ecc_global'].shape == (cfg.n_frames, 3)
    cache = ArtifactCache(tmp_path/'cache')
    n1, c1, p1 = trained_tracker(cfg, cache, workers=1, progress=False)
    n2, c2, p2 = trained_tracker(cfg, cache, progress=False)
    assert p1 == p2 and c1 == c2 == cfg and len(list((tmp_path/'cache').glob('[!.]*'))) == 1


def test_bad_input(tiny):
    cfg, _, study = tiny
    net = TrackerNet(cfg).eval()
    with pytest.raises(DataError, match='tag01: no ED landmarks'):
        track(net, cfg, study.replace(landmarks=None, source='tag01'))
    with pytest.raises(DataError, match=r'landmarks_ed must be \[3, 168, 2\]'):
        track(net, cfg, study, landmarks_ed=np.zeros((2, 168, 2)))
    with pytest.raises(ValueError, match='held-out'):
        phantom_sequences(cfg, HELDOUT_SEED - 1, 2, workers=1)


def test_faulty_checkpoints(tmp_path, tiny):
    cfg = tiny[0]
    from cmrnb.core import sha256_file
    (tmp_path/'bad.pt').write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointError, match='bad.pt: has no checksum file'):
        load_tracker(tmp_path/'bad.pt')
    with pytest.raises(CheckpointError, match='bad.pt: not a loadable'):
        load_tracker(tmp_path/'bad.pt', sha256=sha256_file(tmp_path/'bad.pt'))
    from cmrnb.core import save_checkpoint
    from dataclasses import asdict
    other = asdict(tracker_config('quick'))
    save_checkpoint({'model': TrackerNet(cfg).state_dict(), 'config': other}, tmp_path/'mismatch.pt')
    with pytest.raises(CheckpointError, match='mismatch.pt: weights do not fit'):
        load_tracker(tmp_path/'mismatch.pt')
