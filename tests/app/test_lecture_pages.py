"""The lecture's pages under AppTest, for every model: ELBO and likelihood, Reparameterisation,
InfoGAN information and Codes measured each show their panel for the models they apply to, and a
clear pointer to those models for the rest."""

import math

import pytest
from streamlit.testing.v1 import AppTest

import genlib
from helpers import APP, SHIPPED, need, ok

TIMEOUT = 120
VAES = {"vae", "cvae"}


def open_page(name: str, page: str) -> AppTest:
    need(name)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["model"] = name
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def pointer(at) -> str:
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize("name", SHIPPED)
def test_likelihood_page(name):
    at = open_page(name, "views/likelihood.py")
    if name not in VAES:
        assert "likelihood" not in at.session_state and "vae" in pointer(at)
        return
    r = at.session_state["likelihood"]
    assert r.kl > 0 and r.recon < 0 and math.isclose(r.elbo, r.recon - r.kl)
    assert list(r.iwae) == [1, 10, 100, 1000] and r.iwae[1000][0] > r.elbo
    assert r.prior_ess < 50  # prior draws: almost all weight on a few z
    steps = " ".join(m.value for m in at.markdown)  # the derivation with this image's numbers, KL both ways
    assert (
        f"**{r.kl_sampled:.2f} ± {2 * r.kl_se:.2f}** by sampling" in steps and f"**{r.kl:.2f}** by the closed" in steps
    )
    table = at.session_state["likelihood_table"]
    assert len(table) == 3  # test digit, shifted, letter (nothing drawn in this session)
    digit, moved, letter = table.values()
    assert digit.best > moved.best and digit.best > letter.best
    at.selectbox(key="lik:kind").set_value("a letter").run()
    ok(at)
    chosen = at.session_state["likelihood"]
    assert chosen.pool == 4000 and chosen.best == pytest.approx(letter.best, abs=3)  # the table: 1,000 draws
    text = " ".join(cap.value for cap in at.caption)
    assert f"{chosen.groups(1000)} groups for K = 1,000" in text and "none for the largest" not in text
    assert "P(X|z)P(z)/Q(z|X)" in text and "P(z|X)" in text  # the slide's P(z|X), and what is computed
    both = at.session_state["likelihood_binarisations"]
    assert both.thresholded < both.dynamic and f"{both.dynamic - both.thresholded:.1f} nats per digit" in text


@pytest.mark.parametrize("name", SHIPPED)
def test_reparam_page(name):
    at = open_page(name, "views/reparam.py")
    if name not in VAES:
        assert "reparam_draws" not in at.session_state and "vae" in pointer(at)
        if name == "infogan":  # its code is scored by Q, never backpropagated through: not an example
            assert "categorical" in pointer(at) and "fixed prior" in pointer(at)
        return
    q, prior = at.session_state["reparam_draws"], at.session_state["reparam_prior"]
    assert q.images.shape == (16, 1, 28, 28) and q.eps is not None and prior.eps is None
    assert float(q.log_px.mean()) > float(prior.log_px.mean()) + 50
    dim, g = at.session_state["reparam_gradients"]
    assert g.spread("score", 1) > g.spread("baseline", 1) > g.spread("pathwise", 1)
    ratio = g.spread("score", 1) / g.spread("pathwise", 1)
    based = g.spread("baseline", 1) / g.spread("pathwise", 1)
    text = " ".join(cap.value for cap in at.caption)
    assert f"({ratio:.0f}× the pathwise one)" in text and f"leaves {based:.1f}×" in text
    assert "Gumbel-softmax" in text and "InfoGAN" not in text
    assert any(m.label == "½ · sum = KL" for m in at.metric)
    first = q.z.clone()
    at.number_input(key="rep:seed").set_value(5).run()
    ok(at)
    assert not (at.session_state["reparam_draws"].z == first).all()


@pytest.mark.parametrize("name", SHIPPED)
def test_information_page(name):
    at = open_page(name, "views/information.py")
    if name != "infogan":
        assert "info_readback" not in at.session_state and "infogan" in pointer(at)
        return
    rb = at.session_state["info_readback"]
    assert int(rb.category.argmax()) == 0 and math.isclose(float(rb.category.sum()), 1, rel_tol=1e-4)
    assert "info_meter" not in at.session_state  # nothing heavy before the button
    at.button(key="info:measure").click().run()
    ok(at)
    kept = at.session_state["info_meter"]
    assert kept.calibrated > 2.0 and not kept.shuffled
    at.toggle(key="info:shuffle").set_value(True).run()
    at.button(key="info:measure").click().run()
    ok(at)
    gone = at.session_state["info_meter"]
    assert gone.shuffled and abs(gone.calibrated) < 0.05 and gone.bound < 0
    at.button(key="info:confusion").click().run()
    ok(at)
    conf = at.session_state["info_confusion"]
    assert int(conf["confusion"].sum()) == 2000 and sorted(conf["code_to_digit"]) == list(range(10))


@pytest.mark.parametrize("name", SHIPPED)
def test_codes_page(name):
    at = open_page(name, "views/codes.py")
    if name not in VAES | {"infogan"}:
        assert "codes_responses" not in at.session_state and "infogan" in pointer(at)
        return
    assert "codes_responses" not in at.session_state
    assert "least-squares slope" in " ".join(m.value for m in at.markdown)  # what codes.slant_slope computes
    at.button(key="codes:measure").click().run()
    ok(at)
    responses = at.session_state["codes_responses"]
    assert responses and all(r.slant.shape[1] == 200 for r in responses.values())
    if name == "infogan":
        assert set(responses) == {"c1", "c2"}
    titles = " ".join(h.value for h in at.subheader)
    assert all(code + ":" in titles for code in responses)


def test_models_page_offers_the_untrained_probe():
    need("dcgan")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["model"] = "dcgan"
    at.switch_page("views/models.py")
    at.run()
    ok(at)
    probe = at.session_state["models_probe"]
    if not all("d_untrained" in row for row in probe.values()):
        at.button(key="models:untrained").click().run()
        ok(at)
        probe = at.session_state["models_probe"]
    assert probe[100]["d_untrained"] < probe[100]["d_features"]


def test_pages_are_registered():
    source = open(APP).read()
    for page in ("likelihood", "reparam", "information", "codes"):
        assert f'"views/{page}.py"' in source
    assert genlib.MODELS
