import pytest

from anyorder.errors import InputError
from anyorder.tasks.sudoku.board import to_string
from anyorder.tasks.sudoku.parse import (
    MultipleSolutionsError,
    NoSolutionError,
    PuzzleCharacterError,
    PuzzleConflictError,
    PuzzleLengthError,
    parse_grid,
    parse_puzzle,
)

from .test_solver import EASY


def test_accepts_dots_and_layouts():
    dotted = EASY.replace("0", ".")
    layout = "\n".join(" ".join(EASY[9 * r: 9 * r + 9]) for r in range(9)) + "\n"
    for text in (EASY, dotted, layout, "  " + EASY + "\t\n"):
        assert to_string(parse_puzzle(text)) == EASY


def test_length_error():
    with pytest.raises(PuzzleLengthError, match="80 cells, expected 81"):
        parse_grid(EASY[:-1])


def test_character_error_names_char():
    with pytest.raises(PuzzleCharacterError, match=r"\['x'\].*cell 3"):
        parse_grid("53x" + EASY[3:])


def test_conflict_error_names_group_and_digit():
    bad = EASY[:2] + "5" + EASY[3:]
    with pytest.raises(PuzzleConflictError, match="digit 5 appears twice in row 1"):
        parse_puzzle(bad)


def test_no_solution_error():
    # no direct conflict, but r1c3 has no candidate: row 1 needs a 3 there, and r2c3 holds a 3
    g = list("12.456789" + "." * 72)
    g[9 * 1 + 2] = "3"
    with pytest.raises(NoSolutionError, match="no solution"):
        parse_puzzle("".join(g))


def test_multiple_solutions_error():
    with pytest.raises(MultipleSolutionsError, match="several solutions"):
        parse_puzzle("." * 81)
    assert parse_puzzle("." * 81, require_unique=False).sum() == 0


def test_errors_are_input_errors():
    for cls in (PuzzleLengthError, PuzzleCharacterError, PuzzleConflictError, NoSolutionError,
                MultipleSolutionsError):
        assert issubclass(cls, InputError)
