"Shared pytest fixtures: the real-data root (skipped cleanly where absent) and a scratch folder."
import pytest
import torch
from cmrnb.core import data_root


@pytest.fixture(scope="session")
def real_data():
    "Root of ../shared/data (or $CMRNB_DATA); skips the test where it is absent."
    root = data_root()
    if root is None:
        pytest.skip("real data not found: set CMRNB_DATA or place ACDC/Sunnybrook/M&Ms-2 in ../shared/data")
    return root


def pytest_collection_modifyitems(items):
    "Tests that take `real_data` carry the `realdata` marker (pyproject.toml), so `pytest -m 'not realdata'` leaves them out."
    for item in items:
        if 'real_data' in getattr(item, 'fixturenames', ()): item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    "One torch thread for the suite: the tests' tiny models on 2 shared cores run faster than with two contending threads."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
