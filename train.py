"""Train latent-lab's models from a checkout: `python train.py --help` (installed: `latent-lab train`)."""

import sys

from genlib.training.cli import main

if __name__ == "__main__":
    sys.exit(main())
