"""Input validation of anyorder.decode.decoder.decode."""
import re

import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.errors import InputError


@pytest.mark.parametrize("seeds, shape", [(torch.tensor([1, 2, 3]), (3,)), (torch.tensor([[1], [2]]), (2, 1)),
                                          (torch.tensor(5), ())])
def test_seeds_of_the_wrong_shape_are_refused_with_both_shapes(seeds, shape):
    message = f"seeds must be an int or a (B,) tensor with B=2, got {shape}"
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        decode(lambda t: torch.zeros(*t.shape, 5), torch.full((2, 4), 4), None, Plan(steps=2), 4, seeds=seeds)
