"""Training presets: `full` reproduces the shipped checkpoints, `quick` gives recognisable digits
in minutes. Each entry: (model Config overrides, TrainConfig overrides)."""

# Extra shipped checkpoints: a folder name -> the architecture it trains (teaching counter-examples).
VARIANTS = {"dcgan-collapsed": "dcgan"}

PRESETS = {
    "full": {
        "classifier": ({}, dict(epochs=3, batch_size=128, lr=4e-3)),
        "vae": ({}, dict(epochs=50, batch_size=128, lr=1e-3, lr_decay=True)),
        "cvae": ({}, dict(epochs=60, batch_size=128, lr=1e-3, lr_decay=True)),
        "gan": ({}, dict(epochs=25, batch_size=128, lr=2e-4, lr_d=2e-4)),
        "dcgan": (dict(width=32), dict(epochs=20, batch_size=128, lr=1e-3, lr_d=2e-4, inverter_steps=800)),
        "cgan": ({}, dict(epochs=9, batch_size=128, lr=2e-4, lr_d=2e-4, inverter_steps=800)),
        "infogan": (dict(width=32, z_dim=32, fc=256), dict(epochs=60, batch_size=128, lr=1e-3, lr_d=2e-4, inverter_steps=800)),
        # deliberately bad, a mode-collapse demo: the generator's learning rate is 200× the discriminator's
        # (1e-2 vs 5e-5), so G outruns D and maps every z to the one image D currently likes best
        "dcgan-collapsed": (dict(width=32), dict(epochs=2, batch_size=128, lr=1e-2, lr_d=5e-5, inverter_steps=200)),
    },
    "quick": {
        "classifier": ({}, dict(epochs=1, batch_size=128, lr=4e-3)),
        "vae": ({}, dict(epochs=3)),
        "cvae": ({}, dict(epochs=3)),
        "gan": ({}, dict(epochs=3, lr=2e-4, lr_d=2e-4, inverter_steps=200)),
        "dcgan": (dict(width=32), dict(epochs=2, lr=1e-3, lr_d=2e-4, inverter_steps=200)),
        "cgan": ({}, dict(epochs=1, lr=2e-4, lr_d=2e-4, inverter_steps=200)),
        "infogan": (dict(width=32, z_dim=32, fc=256), dict(epochs=2, lr=1e-3, lr_d=2e-4, inverter_steps=200)),
        "dcgan-collapsed": (dict(width=32), dict(epochs=1, lr=1e-2, lr_d=5e-5, inverter_steps=100)),
    },
}
