"""models.precision: the autocast context of ``--precision``."""
import pytest
import torch

from anyorder.errors import InputError
from anyorder.models.precision import PRECISIONS, inference_precision


def _matmul_dtype(precision: str) -> torch.dtype:
    layer = torch.nn.Linear(8, 4)
    with inference_precision(precision, "cpu"):
        return layer(torch.randn(2, 8)).dtype


def test_bf16_runs_linear_layers_in_bfloat16_and_fp32_leaves_them_alone():
    assert _matmul_dtype("bf16") is torch.bfloat16
    assert _matmul_dtype("fp32") is torch.float32
    with inference_precision(None, "cpu"):
        assert not torch.is_autocast_enabled("cpu")
    assert not torch.is_autocast_enabled("cpu")  # the context closes behind itself


def test_weights_stay_float32_under_bf16():
    layer = torch.nn.Linear(8, 4)
    with inference_precision("bf16", torch.device("cpu")):
        layer(torch.randn(2, 8))
    assert layer.weight.dtype is torch.float32


@pytest.mark.parametrize("precision, device, message", [
    ("int8", "cpu", "unknown precision 'int8'; choose one of fp32, bf16, fp16"),
    ("fp16", "cpu", "fp16 needs a CUDA device"),
])
def test_bad_precision_is_an_input_error_naming_it(precision, device, message):
    with pytest.raises(InputError, match=message):
        inference_precision(precision, device)


def test_the_names_are_the_command_lines_choices():
    from argparse import ArgumentParser

    from anyorder.cli.plan_args import add_precision_argument

    p = ArgumentParser()
    add_precision_argument(p)
    assert p.parse_args([]).precision == "fp32"
    assert [p.parse_args(["--precision", name]).precision for name in PRECISIONS] == list(PRECISIONS)
