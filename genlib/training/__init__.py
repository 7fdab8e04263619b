"""Training, apart from the models: trainers, presets and the multi-process helpers."""
from .trainers import (
                       STATE,
                       TRAINERS,
                       ResumeMismatch,
                       TrainConfig,
                       Trainer,
                       TrainingDiverged,
                       fit_inverter,
                       train_classifier,
)

__all__ = ["STATE", "TRAINERS", "ResumeMismatch", "TrainConfig", "Trainer", "TrainingDiverged", "fit_inverter",
           "train_classifier"]
