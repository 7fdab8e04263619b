"""genlib.explorer.cards (model cards, bars, architecture, history, samples) and metrics.probe_table."""

import json

import pytest
import torch

import genlib
from genlib import checkpoint, metrics
from genlib.explorer import architecture, cards, training_record
from helpers import ALL, BUILT_IN, SHIPPED, shipped, tiny


@pytest.mark.parametrize("name", ALL)
def test_every_model_has_a_card_with_text_objective_and_bars(name):
    card = cards.card_for(name)
    assert metrics.bars_for(tiny(name)) and set(metrics.bars_for(tiny(name))) <= set(cards.BARS)
    if "card" not in vars(genlib.MODELS[name]):  # undeclared: made from its docstring, never its base's card
        assert name not in BUILT_IN
        assert card.title == genlib.MODELS[name].__doc__.splitlines()[0] and not card.objective
        return
    assert name.upper() in card.title.upper() and card.paper  # "Conditional GAN (CGAN)", "InfoGAN"
    if tiny(name).latent.n_classes is not None:  # a label-conditioned model's card says what the label does
        assert "label" in card.what
    assert card.objective and all(caption and "\\" in tex for caption, tex in card.objective)  # real LaTeX


def test_bars_are_the_projects():
    assert cards.BAR_VALUES == {
        "conditional_accuracy": 0.97,
        "min_class_share": 0.06,
        "code_accuracy": 0.95,
        "test_nll": 92.0,
        "encoding_shell_share": 0.80,
        "encoding_kept_class": 0.96,
    }
    held = {n: set(metrics.bars_for(tiny(n))) for n in BUILT_IN}  # derived from what each model declares
    assert {n for n, b in held.items() if "conditional_accuracy" in b} == {"cvae", "cgan"}
    assert {n for n, b in held.items() if "min_class_share" in b} == {"gan", "dcgan", "infogan"}
    assert {n for n, b in held.items() if "code_accuracy" in b} == {"infogan"}
    assert {n for n, b in held.items() if "test_nll" in b} == {"vae", "cvae"}
    for key in ("encoding_shell_share", "encoding_kept_class"):
        assert {n for n, b in held.items() if key in b} == {"gan", "dcgan", "cgan", "infogan"}


def test_metric_rows_mark_met_missed_and_unmeasured():
    rows = cards.metric_rows(
        {"test_nll": 91.0, "conditional_accuracy": 0.5, "fid": 3.0},
        ("test_nll", "conditional_accuracy", "code_accuracy"),
    )
    status = {r["metric"]: r["status"] for r in rows}
    assert status["Test NLL (nats)"] == "met"  # a ≤ bar
    assert status["Conditional accuracy"] == "missed"
    assert status["Code accuracy"] == "not measured"
    assert any(r["metric"].startswith("Fréchet") and r["status"] == "—" for r in rows)  # shown, no bar
    assert sum(r["metric"] == "Test NLL (nats)" for r in rows) == 1  # a barred metric is not repeated
    assert cards.metric_rows({"test_nll": 92.5}, ("test_nll",))[0]["status"] == "missed"


@pytest.mark.parametrize("name", ALL)
def test_architecture_counts_sum_to_the_models_parameters(name):
    m = tiny(name).eval()
    rows = architecture.architecture(m)
    assert sum(r["params"] for r in rows) == m.n_params()
    assert sum(architecture.params_by_role(rows).values()) == m.n_params()
    assert all(r["output"] != "–" for r in rows), "every submodule runs on some public path"
    assert all(r["layers"] for r in rows)
    roles = set(architecture.params_by_role(rows))
    assert roles == (
        {"encoder", "decoder"} if m.has_posterior else {"G", "D", "inverter"} | ({"Q"} if m.latent.has_codes else set())
    )


def test_architecture_reports_output_shapes_and_leaves_the_model_untouched():
    m = tiny("dcgan").eval()
    before = {k: v.clone() for k, v in m.state_dict().items()}
    rows = {r["part"]: r for r in architecture.architecture(m)}
    assert rows["generator"]["output"] == "1×28×28" and rows["head"]["output"] == "1"
    assert "ConvT" in rows["generator"]["layers"] and "Tanh" in rows["generator"]["layers"]
    assert not m._forward_hooks and not any(c._forward_hooks for c in m.children())
    assert all(torch.equal(before[k], v) for k, v in m.state_dict().items())


def test_history_loader_handles_missing_and_corrupt_files(tmp_path):
    assert training_record.read_history(tmp_path) == []
    assert training_record.curve_panels([]) == []
    (tmp_path / "history.json").write_text("{not json")
    with pytest.raises(checkpoint.CheckpointError, match="history.json"):
        training_record.read_history(tmp_path)
    (tmp_path / "history.json").write_text('{"epoch": 1}')
    with pytest.raises(checkpoint.CheckpointError, match="per-epoch"):
        training_record.read_history(tmp_path)


def test_curve_panels_pick_what_the_history_holds():
    gan = [
        {"epoch": e, "loss_d": 1.3, "loss_g": 0.8, "d_real": 0.6, "d_fake": 0.4, "seconds": 2, "min_class_share": 0.05}
        for e in (1, 2, 3)
    ]
    panels = {p["title"]: p for p in training_record.curve_panels(gan)}
    dpanel = next(p for t, p in panels.items() if t.startswith("Discriminator"))
    assert set(dpanel["series"]) == {"D(x)", "D(G(z))"} and dpanel["reference"] == 0.5 and dpanel["epochs"] == [1, 2, 3]
    quality = next(p for t, p in panels.items() if t.startswith("Quality"))
    assert quality["bars"] == {"min class share": 0.06}
    assert not any("ELBO" in t for t in panels)
    vae = [{"epoch": 1, "loss": 100, "recon": 90, "kl": 10, "test_loss": 101}]
    titles = [p["title"] for p in training_record.curve_panels(vae)]
    assert len(titles) == 2 and all("ELBO" in t for t in titles)


def test_sample_epochs_sorted_by_number(tmp_path):
    assert training_record.sample_epochs(tmp_path) == []
    (tmp_path / "samples").mkdir()
    from genlib import images

    for e in (10, 2, 1):
        (tmp_path / "samples" / f"epoch_{e:03d}.png").write_bytes(images.png_bytes(torch.rand(28, 28)))
    (tmp_path / "samples" / "notes.txt").write_text("x")
    found = training_record.sample_epochs(tmp_path)
    assert [e for e, _ in found] == [1, 2, 10]
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(training_record.upscaled_png(found[0][1], 3))).size == (84, 84)


def test_training_summary_sums_epochs_and_inverter(tmp_path):
    m = tiny("gan").eval()
    history = [{"epoch": 1, "seconds": 10.0}, {"epoch": 2, "seconds": 12.5}]
    checkpoint.save(
        m,
        tmp_path,
        history=history,
        train={
            "command": "python train.py --model gan --resume",
            "inverter_seconds": 7.5,
            "config": {"k": 2, "saturating": False},
        },
    )
    s = training_record.training_summary(tmp_path)
    assert s["epochs"] == 2 and s["seconds"] == 30.0 and s["resumed"] and s["k"] == 2
    assert training_record.training_summary(tmp_path / "nowhere") is None


def test_classifier_summary(tmp_path):
    assert training_record.classifier_summary(tmp_path) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"test_accuracy": 0.99, "test_errors": 100}))
    assert training_record.classifier_summary(tmp_path)["test_accuracy"] == 0.99


# ---------------------------------------------------------------- GAN features for classification
@pytest.mark.parametrize("name", [n for n in ALL if genlib.MODELS[n].has_discriminator])
def test_probe_table_on_a_tiny_model(name, tiny_mnist):
    table = metrics.probe_table(tiny(name).eval(), counts=(2, 5), data_dir=tiny_mnist, epochs=20)
    assert list(table) == [2, 5]
    for row in table.values():
        assert set(row) == {"d_features", "d_untrained", "pixels"} and all(0 <= v <= 1 for v in row.values())


def test_probe_table_refuses_what_it_cannot_do(tiny_mnist):
    with pytest.raises(ValueError, match="discriminator"):
        metrics.probe_table(tiny("vae"), counts=(2,), data_dir=tiny_mnist)
    with pytest.raises(ValueError, match="per class"):
        metrics.probe_table(tiny("gan"), counts=(1000,), data_dir=tiny_mnist)


def test_probe_indices_are_nested():
    labels = torch.arange(10).repeat(50)
    small, large = metrics.probe_indices(labels, 3, seed=1), metrics.probe_indices(labels, 20, seed=1)
    assert torch.equal(small.view(10, 3), large.view(10, 20)[:, :3])  # the 3 are among the 20
    assert (labels[large].view(10, 20) == torch.arange(10)[:, None]).all()


def test_pixel_probe_learns_separable_data():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(10).repeat(20)
    x = torch.nn.functional.one_hot(y, 10).float() * 3 + torch.randn(200, 10, generator=g) * 0.1
    assert metrics.fit_probe(x, y, x, y, epochs=50) == 1.0


def test_probe_cache_round_trip(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"fid": 1.0}))
    metrics.cache_probe(
        tmp_path, {100: {"d_features": 0.9, "pixels": 0.8}, 10: {"d_features": 0.7, "pixels": 0.6}}, 12.34
    )
    stored = json.loads((tmp_path / "metrics.json").read_text())
    assert stored["fid"] == 1.0 and stored["probe_seconds"] == 12.3  # other metrics kept
    assert list(metrics.read_probe(stored)) == [10, 100]
    assert metrics.read_probe({"fid": 1.0}) is None and metrics.read_probe(None) is None


@pytest.mark.parametrize("name", [n for n in SHIPPED if genlib.MODELS[n].has_discriminator])
def test_shipped_probe_beats_pixels_with_few_labels(name):
    probe = metrics.read_probe(json.loads((genlib.CHECKPOINTS / name / "metrics.json").read_text()))
    if probe is None:
        pytest.skip(f"no cached probe yet: python train.py --probe --model {name}")
    assert set(probe) == set(metrics.PROBE_COUNTS)
    assert probe[100]["d_features"] > probe[100]["pixels"]  # the lecture's claim, at 100 labels per class


def test_dcgan_card_says_where_batch_norm_is_not_and_the_code_agrees():
    m = tiny("dcgan").eval()
    what = cards.card_for("dcgan").what
    assert "throughout" not in what and "except D's input layer and G's output" in what
    first_d = [type(x).__name__ for x in m.body.conv1]
    last_g = [type(x).__name__ for x in m.generator.convs][-2:]
    assert "BatchNorm2d" not in first_d and last_g == ["ConvTranspose2d", "Tanh"]


def test_dcgan_card_names_the_discriminator_and_the_remedy_its_recipe_trains():
    """The card's architecture and remedy are the full recipe's: D's hidden layer width, the R1 penalty's γ."""
    from genlib.training.presets import recipe

    model_over, train_over = recipe("full", "dcgan")
    card = cards.card_for("dcgan")
    notes = " ".join(card.notes)
    assert f"a hidden layer of {model_over['d_fc']}" in notes and "R1" in notes
    assert any(f"γ = {train_over['r1']:g}" in caption for caption, _ in card.objective)
    sci = lambda x: f"{x:.0e}".replace("e-0", "e-")  # noqa: E731 - 0.001 as the card writes it, 1e-3
    assert f"G learns at {sci(train_over['lr'])}, D at {sci(train_over['lr_d'])}" in notes


def test_every_shown_generator_step_stands_on_its_own():
    """A caption never continues one that is not shown (the DCGAN and CGAN cards show only some steps)."""
    for name, card in ((n, cards.card_for(n)) for n in ALL):
        for caption, _ in card.objective:
            assert not caption.startswith(("…", "or ", "… or")), (name, caption)
    cgan = " ".join(caption for caption, _ in cards.card_for("cgan").objective)
    assert "Discriminator step" in cgan and "Generator step" in cgan


def test_the_gan_card_states_the_k_that_was_trained():
    text = cards.card_for("gan").what + " ".join(cards.card_for("gan").notes)
    assert "k = 1" in text
    for name in ("gan", "dcgan", "cgan", "infogan"):
        if shipped(name):
            assert training_record.training_summary(genlib.CHECKPOINTS / name)["k"] == 1, name


def test_infogan_card_describes_the_logged_curve_and_the_matching():
    notes = " ".join(cards.card_for("infogan").notes)
    assert "−L_I + H(c) + a constant" in notes and "below zero" in notes
    assert "one-to-one" in notes and "Hungarian" in notes and "sees most" not in notes
    panel = next(p for p in training_record.PANELS if "info" in p.series)
    assert "λ_cat" in panel.series["info"] and "−λ·L_I" not in panel.series["info"]


def test_the_three_ks_are_named_where_they_appear():
    """k in the KL formula is the dimension of z; K counts importance samples (its sum has its own index);
    the GAN loop's k counts D steps per G step."""
    from genlib.models import card as shared

    vae = dict((tex, caption) for caption, tex in genlib.MODELS["vae"].card.objective)
    assert "- k" in shared.KL and "dimension of z" in vae[shared.KL]
    assert "K = " in vae[shared.IWAE] and "_{k=1}" not in shared.IWAE and "_{i=1}^{K}" in shared.IWAE
    assert "discriminator steps per generator step" in shared.GAN_LOOP[0][0]


def test_the_probe_time_quoted_is_the_recorded_one(tmp_path):
    """The Models page quotes the probe times recorded in metrics.json, never a fixed guess."""
    import json

    for folder, seconds in (("dcgan", 1683.4), ("dcgan-bad", 1305.9), ("gan", 6.0)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "metrics.json").write_text(json.dumps({"probe_seconds": seconds}))
    for folder, text in (("vae", "{}"), ("cvae", "[1, 2]"), ("broken", "{not json")):  # none counts, none breaks
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "metrics.json").write_text(text)
    recorded = training_record.recorded_probe_seconds(tmp_path)
    assert recorded == {"dcgan": 1683.4, "dcgan-bad": 1305.9, "gan": 6.0}
    folders = {"dcgan-bad": "dcgan"}
    note = training_record.probe_time_note(recorded, "dcgan", folders)
    assert "dcgan-bad 1,306 s, dcgan 1,683 s" in note and "gan 6 s" not in note
    assert "gan 6 s" in training_record.probe_time_note(recorded, "cgan", folders)  # none of its own: all of them
    assert training_record.probe_time_note({}, "dcgan", folders) == ""


def test_the_inverter_note_names_every_term_it_is_trained_on():
    """The note on the GAN card states the real-digit term with the weight training uses and the projection
    onto the prior's shell that the encoder and every refinement step apply."""
    import inspect

    from genlib.latent import to_shell
    from genlib.models import card as shared
    from genlib.training.trainers import fit_inverter

    weight = inspect.signature(fit_inverter).parameters["real_weight"].default
    assert f"{weight:g}·‖G(E(x)) − x‖²" in shared.INVERTER
    assert "‖E(G(z)) − z‖²" in shared.INVERTER and "‖G(E(G(z))) − G(z)‖²" in shared.INVERTER
    assert "‖z‖ = √d" in shared.INVERTER
    z = torch.randn(3, 7) * 5
    assert torch.allclose(to_shell(z).norm(dim=1), torch.full((3,), 7**0.5))
    m = tiny("gan").eval()
    assert torch.allclose(m.encode(torch.rand(2, 1, 28, 28)).norm(dim=1), torch.full((2,), m.latent.z_dim**0.5))
    assert shared.INVERTER in genlib.MODELS["gan"].card.notes


def test_the_cgan_card_says_where_it_departs_from_the_lecture():
    model = tiny("cgan")
    notes = " ".join(genlib.MODELS["cgan"].card.notes)
    assert hasattr(model, "embed") and "projection" in notes and "concatenation only" in notes


def test_an_onnx_folders_card_says_what_its_files_declare(tmp_path):
    from onnx_models import coded_graphs, manifest, write

    dec, _ = coded_graphs()
    codes = {
        "categorical": [3],
        "continuous": [{"name": "a", "low": -1, "high": 1}, {"name": "b", "low": 0, "high": 1}],
    }
    m = genlib.load(path=write(tmp_path / "mine", dec, manifest(title="Mine", codes=codes)))
    card = cards.folder_card(m)
    assert card.title == "Mine" and str(tmp_path / "mine") in card.what
    assert "a categorical code of 3 and 2 continuous code(s)" in card.what and "no encoder" in card.what
    assert f"{m.n_params():,} weights" in card.notes[0]


def test_comparison_rows_keep_the_columns_some_model_has():
    rows = cards.comparison_rows(
        {"mine": {"fid": 3.0, "min_class_share": 0.08}, "cgan": {"fid": 1.0, "conditional_accuracy": 0.99}}
    )
    assert rows == [
        {"model": "mine", "Fréchet distance": 3.0, "rarest class share": 0.08, "conditional accuracy": None},
        {"model": "cgan", "Fréchet distance": 1.0, "rarest class share": None, "conditional accuracy": 0.99},
    ]
