"""genlib.explorer.tradeoffs: the lecture's list of a GAN's gains and costs, tied to pages that exist, and the
cost it turns on measured on the models: one pass of G for n samples, K decodes for one likelihood."""

from pathlib import Path

import torch

from genlib.explorer import tradeoffs
from helpers import APP, tiny


def test_every_item_points_to_a_page_of_the_app():
    app = Path(APP).read_text()
    for claim, kind, page, shows in tradeoffs.ITEMS:
        assert kind in ("gain", "cost") and claim and shows
        assert f'title="{page}"' in app, page


def test_a_gan_sample_is_one_pass_of_g_and_a_likelihood_is_k_decodes():
    gan, vae = tiny("gan").eval(), tiny("vae").eval()
    image = torch.rand(1, 28, 28)
    costs = tradeoffs.measure(gan, vae, image, n=300, k=200, reps=2)
    assert costs.g_passes == 1  # 300 samples in a single forward pass
    assert costs.decoded == 200 + 1  # K importance samples, and the estimate's one prior draw
    assert costs.sample_ms > 0 and costs.likelihood_ms > 0
    assert costs.per_sample_ms == costs.sample_ms / 300
