"Projector: warm starts along a video beat cold starts at the same cost."
import torch
from cmrnb.models.stylegan2 import StyleGAN2Config, Generator
from cmrnb.models.projector import project, project_video, w_stats


def small_generator(seed=0):
    torch.manual_seed(seed)
    G = Generator(StyleGAN2Config.tiny(resolution=16, z_dim=16, w_dim=16, channel_base=256, channel_max=16)).eval()
    with torch.no_grad():
        for b in G.synthesis.blocks: b.to_img.conv.weight.mul_(0.3)        # untrained output scaled into [-1, 1]
    return G.requires_grad_(False)


def test_warm_start_beats_cold_start():
    G = small_generator(); stats = w_stats(G, 2000)
    with torch.no_grad():
        w0 = G.sample_w(1, psi=0.5, generator=torch.Generator().manual_seed(3))
        d = 0.04 * stats[1] * torch.randn(1, 16, generator=torch.Generator().manual_seed(4))
        video = G.render(w0 + torch.arange(5.)[:, None] * d)                   # 5 frames along a latent line
    w = project_video(G, video, steps_first=80, steps_next=10, stats=stats)    # 80 + 4 x 10 steps
    cold = project(G, video[1:], steps=10, stats=stats)                        # 10 steps per frame from the mean
    with torch.no_grad():
        err_warm = (G.render(w[1:]) - video[1:]).square().mean((1, 2, 3))
        err_cold = (G.render(cold) - video[1:]).square().mean((1, 2, 3))
        err_first = (G.render(w[:1]) - video[:1]).square().mean()
    assert w.shape == (5, 16)
    # 10 warm steps per frame do better than 10 cold ones, and stay near the quality of the first frame's 80 steps
    assert err_warm.mean() < 0.8 * err_cold.mean(), (err_warm, err_cold)
    assert err_warm.max() < 2.5 * err_first, (err_warm, err_first)
