"""Latents-and-observations experiments (paper Sec. 4.3-4.4): Table 1 (``table1``), the error imbalance of
Figure 2 (``imbalance``) and the belief-propagation phase transition of Figure 4 (``bp``). The task is
``anyorder.tasks.lo``; its presets live in ``anyorder.configs``."""
