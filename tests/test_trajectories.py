"Latent trajectories: numpy and torch give the same answers; bad input is named."
import numpy as np
import pytest
import torch
from cmrnb.core import DataError
from cmrnb.models.trajectories import (f2f_directions, ed_es_direction, temporal_superres, superres_times,
                                       phenotype_direction, f2f_latents, pca_residual)


def test_numpy_and_torch_agree():
    rng = np.random.default_rng(1)
    wv = rng.normal(size=(3, 10, 8)).cumsum(1)
    a, b = f2f_directions(wv, 3), f2f_directions(torch.tensor(wv), 3)
    assert isinstance(a, np.ndarray) and isinstance(b, torch.Tensor)
    np.testing.assert_allclose(a, b.numpy(), atol=1e-12)
    h = superres_times(10, 3)
    np.testing.assert_allclose(temporal_superres(wv[0], h), temporal_superres(torch.tensor(wv[0]), h).numpy(), atol=1e-12)


def test_f2f_paper_sizes_rank_16_and_closed_loop():
    "49 transitions of 512-d latents with 32 components removed: rank 16, the path returns to its start."
    rng = np.random.default_rng(2)
    wv = rng.normal(size=(4, 50, 512)).cumsum(1)
    ks = f2f_directions(wv, 32)
    sv = np.linalg.svd(ks, compute_uv=False)   # rank 16: 16 singular values far above round-off (~n eps sv[0]), the rest at it
    assert ks.shape == (49, 512) and sv[15] > 0.05 * sv[0] and sv[16] < 1e-10 * sv[0], sv[14:18] / sv[0]
    path = f2f_latents(wv[:, 0], ks)
    assert np.abs(path[:, -1] - path[:, 0]).max() < 1e-9


def test_bad_inputs_are_named():
    w = np.zeros((5, 4))
    with pytest.raises(DataError, match='sphericity_index: 3 values for 5 latents'):
        phenotype_direction(w, [1., 2., 3.], 'sphericity_index')
    with pytest.raises(DataError, match='w_videos'):
        f2f_directions(np.zeros((5, 1, 4)))
    with pytest.raises(DataError, match='does not pair'):
        ed_es_direction(w, w[:, :2])
    with pytest.raises(ValueError, match='method must be'):
        temporal_superres(w, [0.5], method='spline')
    with pytest.raises(ValueError, match='leaves no residual'):
        pca_residual(w, 4)
