"""Sudoku experiments (paper Sec. 4.2, 4.5, Tables 2 and 5): ``anyorder reproduce sudoku`` (``reproduce``),
the decoding strategies (``strategies``), decoding and scoring splits (``evaluate``), ARM baselines (``arm``),
tables / reports / order analysis / gap analysis, and the terminal views of ``solve --show`` and ``demo``
(``show``). The task itself (data, encodings, verifier, metrics) is ``anyorder.tasks.sudoku``."""
