"""Training, apart from the models: trainers, presets and the multi-process helpers."""

from .trainers import (
    STATE,
    TRAINER_KINDS,
    TRAINERS,
    ResumeMismatch,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    fit_inverter,
    train_classifier,
)

__all__ = [
    "STATE",
    "TRAINER_KINDS",
    "TRAINERS",
    "ResumeMismatch",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "fit_inverter",
    "train_classifier",
]
