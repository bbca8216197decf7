"""Training objectives: masked-diffusion NELBO (``mdm``) and next-token loss (``ar``).

``OBJECTIVES`` maps a ``TrainConfig.objective`` name to its loss function; each returns a ``LossOutput``.
"""
from anyorder.objectives.mdm import LossOutput, MDMConfig, corrupt, elbo, mdm_loss
from anyorder.objectives.schedule import SCHEDULES, Schedule, get_schedule

OBJECTIVES = {"mdm": mdm_loss}

__all__ = ["LossOutput", "MDMConfig", "OBJECTIVES", "SCHEDULES", "Schedule", "corrupt", "elbo", "get_schedule",
           "mdm_loss"]
