"""Training, apart from the models: trainers, presets and the multi-process helpers."""
from .trainers import STATE, TRAINERS, TrainConfig, Trainer, TrainingDiverged, fit_inverter, train_classifier

__all__ = ["STATE", "TRAINERS", "TrainConfig", "Trainer", "TrainingDiverged", "fit_inverter", "train_classifier"]
