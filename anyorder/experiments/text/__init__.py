"""Text experiments (paper Sec. 4.1, 4.2, 4.5): pi-learner scaling (``scaling``), the chain-rule NLL of an MDM
along orders (``order_nll``) and generative perplexity vs steps (``genppl``). docs/text.md."""
