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
        "dcgan": (dict(width=32), dict(epochs=10, batch_size=128, lr=1e-3, lr_d=2e-4, inverter_steps=800)),
        "cgan": ({}, dict(epochs=5, batch_size=128, lr=2e-4, lr_d=2e-4, inverter_steps=800)),
        "infogan": (dict(width=32, z_dim=32, fc=256), dict(epochs=14, batch_size=128, lr=1e-3, lr_d=2e-4, inverter_steps=800)),
        # deliberately bad: a generator learning rate 25× the discriminator's (mode collapse demo)
        "dcgan-collapsed": (dict(width=32), dict(epochs=3, batch_size=128, lr=5e-3, lr_d=2e-4, inverter_steps=400)),
    },
    "quick": {
        "classifier": ({}, dict(epochs=1, batch_size=128, lr=4e-3)),
        "vae": ({}, dict(epochs=3)),
        "cvae": ({}, dict(epochs=3)),
        "gan": ({}, dict(epochs=3, lr=2e-4, lr_d=2e-4, inverter_steps=200)),
        "dcgan": (dict(width=32), dict(epochs=2, lr=1e-3, lr_d=2e-4, inverter_steps=200)),
        "cgan": ({}, dict(epochs=1, lr=2e-4, lr_d=2e-4, inverter_steps=200)),
        "infogan": (dict(width=32, z_dim=32, fc=256), dict(epochs=2, lr=1e-3, lr_d=2e-4, inverter_steps=200)),
        "dcgan-collapsed": (dict(width=32), dict(epochs=1, lr=5e-3, lr_d=2e-4, inverter_steps=200)),
    },
}
