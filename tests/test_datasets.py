"Datasets, splits and the frame store of cmrnb.data.datasets, with the preprocessing of cmrnb.data.prep in front."
import json, pickle
import numpy as np
import pytest
import torch
from cmrnb.core import DataError
from cmrnb.data.study import Study, validate, LV, MYO
from cmrnb.data.prep import preprocess, crop_roi, heart_center
from cmrnb.data.datasets import FrameDataset, VideoDataset, VolumeDataset, PairedDataset, FrameStore, subject_split


def toy(subject, T=6, Z=3, H=30, W=34, seed=0, view='sax'):
    rng = np.random.default_rng(seed); mask = np.zeros((T, Z, H, W), np.uint8)
    yy, xx = np.mgrid[:H, :W]
    for t in range(T): mask[t][:, np.hypot(yy - 12, xx - 20) < 6 - t % 3] = LV
    img = (0.2 + 0.6 * (mask == LV) + 0.2 * rng.random(mask.shape)).astype(np.float32)
    return validate(Study(img, (8., 1.2, 1.2), mask, None, 0, 2, view=view, subject=subject))


def test_subject_split_is_disjoint_complete_and_seeded():
    subjects = np.repeat([f'p{i}' for i in range(37)], np.arange(37) % 4 + 1)
    splits = subject_split(subjects, (0.6, 0.2, 0.2), seed=3)
    assert sorted(np.concatenate(splits).tolist()) == list(range(len(subjects)))
    sets = [set(subjects[i]) for i in splits]
    assert all(not (sets[a] & sets[b]) for a in range(3) for b in range(a + 1, 3))
    assert [len(s) for s in sets] == [22, 8, 7]                      # round(0.6 * 37) = 22, round(0.8 * 37) = 30
    assert all((x == y).all() for x, y in zip(splits, subject_split(subjects, (0.6, 0.2, 0.2), seed=3)))


def test_preprocessed_studies_batch_in_all_datasets():
    studies = [preprocess(toy(f's{i}', seed=i, T=6 + i), size=16, crop=24) for i in range(4)]
    assert all(s.shape[2:] == (16, 16) for s in studies)
    x = next(iter(torch.utils.data.DataLoader(FrameDataset(studies), batch_size=10)))
    v = next(iter(torch.utils.data.DataLoader(VideoDataset(studies, n_frames=8), batch_size=4)))
    w, m = next(iter(torch.utils.data.DataLoader(VolumeDataset(studies, with_mask=True), batch_size=3)))
    assert x.shape == (10, 1, 16, 16) and v.shape == (4, 1, 8, 16, 16) and w.shape == (3, 1, 3, 16, 16) and m.shape == (3, 3, 16, 16)
    assert 0 <= float(x.min()) and float(x.max()) <= 1 and int(m.max()) == LV
    # a split by subject carries over to dataset items
    fd = FrameDataset(studies); tr, va = subject_split(fd.subjects, (0.5, 0.5), seed=0)
    assert not {fd.subjects[i] for i in tr} & {fd.subjects[i] for i in va}


def test_paired_dataset_matches_subjects():
    cines = [toy(f's{i}', Z=9, seed=i) for i in range(3)]
    tagged = [toy(f's{i}', T=11, seed=10 + i, view='tagging') for i in (2, 0)]
    cines[2].meta['tag_slices'] = (1, 4, 7)
    pdata = PairedDataset(cines, tagged, n_frames=5)
    assert len(pdata) == 6 and pdata.subjects == ['s2'] * 3 + ['s0'] * 3
    item = pdata[2]
    assert item['subject'] == 's2' and item['slice'] == 2 and item['tagging'].shape == (1, 5, 30, 34)
    assert torch.equal(item['cine'][0, 0], torch.from_numpy(cines[2].image[0, 7]))     # tag_slices[2] = 7, frame 0 kept
    assert [pdata.cine_slice(1, s) for s in range(3)] == [2, 4, 6]                        # 25/50/75 % of 9 slices


def test_frame_store_through_workers(tmp_path):
    rng = np.random.default_rng(0); frames = rng.random((3000, 16, 16)).astype(np.float32)
    store = FrameStore.build(tmp_path/'st', ((f, f's{k // 30}') for k, f in enumerate(frames)), chunk=500)
    assert json.loads((tmp_path/'st'/'index.json').read_text())['n'] == 3000
    dl = torch.utils.data.DataLoader(store, batch_size=100, num_workers=2, shuffle=True, generator=torch.Generator().manual_seed(0))
    seen = torch.cat([b for b in dl])
    assert seen.shape == (3000, 1, 16, 16)
    ref = torch.from_numpy(np.rint(frames * 255) / 255).float()
    assert torch.allclose(seen.sum(0), ref[:, None].sum(0), atol=1e-2)                 # every frame once, in some order
    assert store._mm is None or store._reads == 0                                      # the main process mapped nothing
    tr, va, te = store.split((0.8, 0.1, 0.1), seed=1)
    assert not set(store.subject_ids[tr]) & set(store.subject_ids[va]) and len(tr) + len(va) + len(te) == 3000


def test_frame_store_faults(tmp_path):
    with pytest.raises(DataError, match='index.json: not a frame store index'): FrameStore(tmp_path)
    st = FrameStore.build(tmp_path/'st', iter(np.zeros((10, 4, 4))))
    with open(tmp_path/'st'/'frames.bin', 'r+b') as f: f.truncate(100)
    with pytest.raises(DataError, match=r'frames\.bin: holds 100 bytes, the index says 160'): FrameStore(tmp_path/'st')
    with pytest.raises(DataError, match=r'frame 2.*shape \(4, 5\)'):
        FrameStore.build(tmp_path/'st2', iter([np.zeros((4, 4))] * 2 + [np.zeros((4, 5))]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['st']                        # the failed build left nothing


def test_prep_on_real_acdc(real_data):
    from cmrnb.data.io import read_acdc
    s = read_acdc(real_data/'acdc-training'/'patient001')
    p = preprocess(s, spacing=(1.25, 1.25), crop=128, size=64)
    assert p.shape == (2, 10, 64, 64) and p.spacing[1:] == pytest.approx((2.5, 2.5))
    ml = lambda x, t: (x.mask[t] == LV).sum() * np.prod(x.spacing) / 1000
    assert abs(ml(p, 0) / 295.5 - 1) < 0.05 and abs(ml(p, 1) / 225.6 - 1) < 0.05
    cy, cx = heart_center(p); assert abs(cy - 31.5) < 3 and abs(cx - 31.5) < 3
