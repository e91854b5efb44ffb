"TrainLoop under real faults: a killed process resumes to the same state; DDP on CPU (gloo, 2 processes) matches one process."
import json, os, subprocess, sys, textwrap
from pathlib import Path
import torch
import pytest
from helpers import logged

SCRIPT = textwrap.dedent('''
    import os, sys, torch
    from torch import nn
    from cmrnb.train import TrainLoop
    out, steps, kill_at, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    drop = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    torch.manual_seed(0)
    x = torch.randn(96, 4); y = x.sum(1, keepdim=True)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(drop), nn.Linear(16, 1))
    torch.manual_seed(100 + int(os.environ.get('RANK', 0)))   # each rank its own noise (restored on resume)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loop = TrainLoop(out, {'model': model}, {'opt': opt}, steps=steps, ckpt_every=5, log_every=1, progress=False)
    net = loop.ddp(model)
    for step in loop:
        if step == kill_at: os._exit(9)          # a hard kill: no cleanup, no exception handling
        i = loop.batch_indices(len(x), batch)
        loss = ((net(x[i]) - y[i])**2).mean()
        opt.zero_grad(); loss.backward(); opt.step(); loop.log(loss=loss)
    if loop.rank == 0: torch.save(model.state_dict(), os.path.join(out, 'final.pt'))
''')


def run(tmp, *args, torchrun=False):
    script = tmp/'train_toy.py'; script.write_text(SCRIPT)
    exe = [str(Path(sys.executable).parent/'torchrun'), '--nproc_per_node', '2', '--standalone'] if torchrun else [sys.executable]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run(exe + [str(script), *map(str, args)], capture_output=True, text=True, env=env, timeout=300)


def final(d): return torch.load(d/'final.pt', weights_only=True)



def test_resume_after_kill_equals_uninterrupted(tmp_path):
    assert run(tmp_path, tmp_path/'a', 17, -1, 8).returncode == 0
    r = run(tmp_path, tmp_path/'b', 17, 12, 8)
    assert r.returncode == 9 and not (tmp_path/'b'/'final.pt').exists()
    assert run(tmp_path, tmp_path/'b', 17, -1, 8).returncode == 0
    a, b = final(tmp_path/'a'), final(tmp_path/'b')
    assert all(torch.equal(a[k], b[k]) for k in a)   # bit-exact: resume restores every state; same steps, same machine
    assert logged(tmp_path/'a'/'metrics.jsonl') == logged(tmp_path/'b'/'metrics.jsonl')   # same steps, bit-exact losses


def test_ddp_two_processes_matches_one(tmp_path):
    "Two gloo ranks with half the batch each average gradients to the one-process full-batch step."
    one = run(tmp_path, tmp_path/'one', 6, -1, 8)
    assert one.returncode == 0, one.stderr[-2000:]
    two = run(tmp_path, tmp_path/'two', 6, -1, 8, torchrun=True)
    assert two.returncode == 0, two.stderr[-2000:]
    a, b = final(tmp_path/'one'), final(tmp_path/'two')
    for k in a: assert torch.allclose(a[k], b[k], atol=1e-5), k


def test_ddp_resume_after_kill_restores_every_ranks_noise(tmp_path):
    "Two ranks with different dropout noise, one killed mid-run and resumed, end where an uninterrupted run does."
    assert run(tmp_path, tmp_path/'a', 12, -1, 8, 0.3, torchrun=True).returncode == 0
    killed = run(tmp_path, tmp_path/'b', 12, 7, 8, 0.3, torchrun=True)
    assert killed.returncode != 0 and (tmp_path/'b'/'last.rank1.pt').exists()
    r = run(tmp_path, tmp_path/'b', 12, -1, 8, 0.3, torchrun=True)
    assert r.returncode == 0, r.stderr[-2000:]
    a, b = final(tmp_path/'a'), final(tmp_path/'b')
    assert all(torch.equal(a[k], b[k]) for k in a)   # bit-exact: resume restores every rank's state, same machine
