"""What the explorer app and the teaching pages compute, on top of the model core: latent state and URLs
(session), test-set encodings, grids, drawings, model cards, mode-collapse statistics and the lecture toys.
Nothing here trains a model or defines one."""
