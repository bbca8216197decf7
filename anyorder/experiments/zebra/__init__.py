"""Zebra experiments: Table 3 (``reproduce``) and decoding helpers shared with ``anyorder solve --task zebra``."""
