"""Score helpers of anyorder.decode.score."""
import torch

from anyorder.decode.score import first_argmax


def test_first_argmax_breaks_ties_toward_the_lowest_index_on_3d_input():
    lp = torch.tensor([[[0.0, 1.0, 1.0, -1.0], [2.0, 2.0, 2.0, 2.0], [-3.0, -1.0, -2.0, -1.0]],
                       [[5.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 7.0], [1.0, 0.5, 0.0, 0.0]]])
    assert first_argmax(lp).tolist() == [[1, 0, 1], [0, 3, 0]]


def test_first_argmax_equals_argmax_on_value_major_views():
    g = torch.Generator().manual_seed(0)
    lp = torch.randn(6, 3, 5, 4, generator=g).permute(1, 2, 3, 0)  # (3, 5, 4, 6) strided along the last dim
    lp = lp.round(decimals=0)  # many ties
    got = first_argmax(lp)
    assert got.dtype == torch.int64 and got.shape == lp.shape[:-1]
    want = torch.tensor([[[row.tolist().index(max(row.tolist())) for row in pos] for pos in b] for b in lp])
    assert torch.equal(got, want)
    assert torch.equal(first_argmax(torch.full((2, 3, 4), float("-inf"))), torch.zeros(2, 3, dtype=torch.int64))
