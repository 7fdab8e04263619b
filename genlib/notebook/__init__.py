"""latent-lab in a notebook (pip install 'latent-lab[notebook]'): widgets that decode in the notebook's browser.

    from genlib.notebook import Explorer, LatentMap, Interpolation
    Explorer("vae")                      # latent sliders; w.z follows the sliders on release
    LatentMap("vae", projection="pca")   # hover previews; click -> w.selected
    Interpolation("vae", a, b)           # a scrub along the path from a to b

They run anywhere anywidget runs; JupyterLab is what the tests drive (tests/system/test_notebook_browser.py)."""

try:
    import anywidget  # noqa: F401
except ImportError:  # one line that says how to get it, not a traceback into anywidget
    raise ImportError("genlib.notebook needs the notebook extra: pip install 'latent-lab[notebook]'") from None

from .widgets import Explorer, Interpolation, LatentMap

__all__ = ["Explorer", "Interpolation", "LatentMap"]
