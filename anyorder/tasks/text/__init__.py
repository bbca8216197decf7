"""The text task: corpora (``corpus``), packed memory-mapped token shards (``shards``), MDM / pi-learner (``task``)."""
