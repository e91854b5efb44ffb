"Shared pytest fixtures: the real-data root (skipped cleanly where absent) and a scratch folder."
import pytest
from cmrnb.core import data_root


@pytest.fixture(scope="session")
def real_data():
    "Root of ../shared/data (or $CMRNB_DATA); skips the test where it is absent."
    root = data_root()
    if root is None:
        pytest.skip("real data not found: set CMRNB_DATA or place ACDC/Sunnybrook/M&Ms-2 in ../shared/data")
    return root
