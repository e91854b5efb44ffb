"cmrnb.data.export: nnU-Net raw datasets read back with nibabel, CSV, skipping, atomicity, and a real ACDC case."
import json
import numpy as np
import nibabel as nib
import pandas as pd
import pytest
from cmrnb.core import CmrnbError
from cmrnb.data.phantom import sample_subject, sax_cine
from cmrnb.analysis.phenotypes import sax_phenotypes
import cmrnb.data.export as ex
from cmrnb.data.export import export_nnunet, cohort_studies


def measure(s): return sax_phenotypes(s, warn=False)   # the caller's phenotypes: data does not import analysis


def arr(p): return np.asarray(nib.load(p).dataobj).transpose(2, 1, 0)


@pytest.fixture(scope='module')
def cines():
    ss = [sax_cine(sample_subject(i), n_frames=5, size=20, n_slices=3, seed=i, fov=130.) for i in range(3)]
    return np.stack([s.image for s in ss]), np.stack([s.mask for s in ss]), [s.demographics for s in ss], ss


def test_generated_cines_round_trip(cines, tmp_path):
    img, msk, dem, ss = cines
    res = export_nnunet((img, msk, dem), tmp_path, 501, 'CineLDM', spacing=ss[0].spacing, phenotypes=measure)
    assert res.cases == ['syn_0000_ED', 'syn_0000_ES', 'syn_0001_ED', 'syn_0001_ES', 'syn_0002_ED', 'syn_0002_ES']
    js = json.loads((res.folder/'dataset.json').read_text())
    assert js['numTraining'] == 6 and js['synthetic'] is True and js['labels'] == {'background': 0, 'lv': 1, 'myo': 2, 'rv': 3}
    assert sorted(p.name for p in (res.folder/'imagesTr').iterdir())[0] == 'syn_0000_ED_0000.nii.gz'
    df = pd.read_csv(res.folder/'conditions.csv')
    for k, (i, phase) in enumerate([(i, p) for i in range(3) for p in ('ED', 'ES')]):
        t = 0 if phase == 'ED' else ss[i].es
        assert np.allclose(arr(res.folder/'imagesTr'/f'{res.cases[k]}_0000.nii.gz'), img[i, t], atol=1e-6)
        assert np.array_equal(arr(res.folder/'labelsTr'/f'{res.cases[k]}.nii.gz'), msk[i, t])
        assert df.frame[k] == t and df.synthetic[k] and abs(df.sbp[k] - dem[i]['sbp']) < 1e-6
    lv = (msk[0, 0] == 1).sum() * np.prod(ss[0].spacing) / 1000
    assert abs(df.LV_mL[0] - lv) < 1e-9 and abs(df.LVEDV[0] - lv) < 1e-9
    z = nib.load(res.folder/'labelsTr'/'syn_0001_ES.nii.gz').header.get_zooms()
    assert np.allclose(z, ss[0].spacing[::-1])


def test_bad_items_are_skipped_and_reported(cines, tmp_path):
    img, msk, dem, ss = cines
    res = export_nnunet([ss[0], ss[1].replace(mask=None, subject='S1'), ss[2]], tmp_path, 2, 'X')
    assert 'LVEDV' not in pd.read_csv(res.folder/'conditions.csv').columns     # no `phenotypes`: volumes only
    assert len(res.cases) == 4 and res.skipped[0][0] == 'S1' and 'no mask' in res.skipped[0][1]
    with pytest.raises(CmrnbError, match='exists'): export_nnunet(ss, tmp_path, 2, 'X')
    with pytest.raises(ValueError, match='dataset_id'): export_nnunet(ss, tmp_path, 1000, 'X')


def test_interrupted_export_leaves_nothing(cines, tmp_path, monkeypatch):
    img, msk, dem, ss = cines
    calls = []
    def boom(*a, **k):
        calls.append(1)
        if len(calls) > 3: raise KeyboardInterrupt
        return orig(*a, **k)
    orig = ex.save_nifti; monkeypatch.setattr(ex, 'save_nifti', boom)
    with pytest.raises(KeyboardInterrupt): export_nnunet(ss, tmp_path, 3, 'Y')
    assert list(tmp_path.iterdir()) == []


def test_real_acdc_case(real_data, tmp_path):
    from cmrnb.data.io import read_acdc
    s = read_acdc(real_data/'acdc-training'/'patient001')
    res = export_nnunet([s], tmp_path, 4, 'ACDC1', synthetic=False, phenotypes=measure)
    df = pd.read_csv(res.folder/'conditions.csv')
    assert res.cases == ['case_0000_ED', 'case_0000_ES'] and not df.synthetic.any()
    assert abs(df.LVEDV[0] - 295.5) < 0.5 and abs(df.LVEF[0] - 23.7) < 0.2   # the README's reference values
    assert np.array_equal(arr(res.folder/'labelsTr'/'case_0000_ES.nii.gz'), s.mask[s.es])
