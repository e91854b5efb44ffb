"The shipped weights in weights/: they fit the code, load only as shipped, and a moved recipe is reported, never used."
import shutil
import pytest
import torch
from cmrnb.core import CheckpointError, sha256_file
from cmrnb.weights import FAMILIES, family, read_manifest, shipped_weights, signature, weights_dir, StaleWeights


def test_every_family_ships_weights_that_fit_the_code():
    man = read_manifest()
    assert set(man) == set(FAMILIES), "every registered family ships weights, and only those"
    for name in FAMILIES:
        fam = family(name)
        assert set(man[name]) == set(fam.profiles), f"{name}: every profile it names is shipped"
        for profile, entry in man[name].items():
            cfg = fam.config(profile)
            assert signature(fam.net(cfg)) == entry['signature']                 # the manifest's signature is the code's
            path, sha = shipped_weights(fam, cfg)                                # StaleWeights if config or shapes moved
            assert sha == entry['sha256'] == sha256_file(path)
            assert path.stat().st_size < 16 * 2**20
            torch.load(path, map_location='cpu', weights_only=True)             # tensors and plain values only
            net, _ = fam.load(path, 'cpu', sha)
            assert all(p.dtype == torch.float32 for p in net.parameters())      # fp16 storage, fp32 compute
    assert sum(f.stat().st_size for f in weights_dir().iterdir()) < 60 * 2**20


@pytest.fixture
def weights_copy(tmp_path, monkeypatch):
    "A copy of weights/ that a test may damage, in use through $CMRNB_WEIGHTS."
    dst = tmp_path/'weights'; shutil.copytree(weights_dir(), dst)
    monkeypatch.setenv('CMRNB_WEIGHTS', str(dst))
    return dst


def test_tampered_weights_are_refused(weights_copy):
    from cmrnb.analysis.tracking import trained_tracker
    f = weights_copy/'tracker-quick.pt'
    b = bytearray(f.read_bytes()); b[len(b) // 2] ^= 1; f.write_bytes(bytes(b))
    with pytest.raises(CheckpointError, match='tracker-quick.pt: SHA-256 does not match'):
        trained_tracker('quick', progress=False)


def test_a_moved_recipe_is_stale_not_retrained(weights_copy, monkeypatch):
    from cmrnb.analysis import tracking
    monkeypatch.setitem(tracking.tracker_presets, 'quick', {**tracking.tracker_presets['quick'], 'steps': 9000})
    with pytest.raises(StaleWeights, match=r"tracker-quick.pt is stale: config differs in steps \(8000 shipped, 9000 in the code\); "
                                           r"retrain with `cmrnb train tracker --profile quick`"):
        tracking.trained_tracker('quick', progress=False)
