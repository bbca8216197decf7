"""Training objectives: masked-diffusion NELBO (``mdm``, paper Sec. 2.4) and next-token loss (``ar``).

Each returns a ``LossOutput``; ``anyorder.train.trainer.OBJECTIVES`` maps a ``TrainConfig.objective`` name to a
call of one of them. Signatures: ``mdm_loss(model, batch, cfg: MDMConfig, mask_id, generator)``,
``ar_loss(model, batch, cfg: ARConfig, generator)``.
"""
from anyorder.objectives.ar import ARConfig, ar_loss
from anyorder.objectives.mdm import LossOutput, MDMConfig, corrupt, elbo, mdm_loss
from anyorder.objectives.schedule import SCHEDULES, Schedule, get_schedule

__all__ = ["ARConfig", "LossOutput", "MDMConfig", "SCHEDULES", "Schedule", "ar_loss", "corrupt",
           "elbo", "get_schedule", "mdm_loss"]
