"""The matmul backends agree: oneDNN's fused matmul and ATen's F.linear give the same numbers and gradients."""

from __future__ import annotations

import threading

import pytest
import torch

from pstmo.cpu_kernels import current_backend, dense, matmul_backend, onednn_available

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="this torch build has no usable oneDNN")


@needs_onednn
@pytest.mark.parametrize("activation", ["none", "relu", "leaky_relu"])
@pytest.mark.parametrize("with_bias", [True, False])
def test_dense_gives_the_same_numbers_on_both_backends(activation, with_bias):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 9, 32, generator=generator)
    weight = torch.randn(48, 32, generator=generator)
    bias = torch.randn(48, generator=generator) if with_bias else None
    with torch.inference_mode():
        with matmul_backend("aten"):
            plain = dense(x, weight, bias, activation, 0.2)
        with matmul_backend("onednn"):
            fused = dense(x, weight, bias, activation, 0.2)
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-5)


@needs_onednn
def test_dense_gradients_are_the_same_on_both_backends():
    results = []
    for backend in ("aten", "onednn"):
        generator = torch.Generator().manual_seed(1)
        x = torch.randn(5, 7, 16, generator=generator, requires_grad=True)
        weight = torch.randn(24, 16, generator=generator, requires_grad=True)
        bias = torch.randn(24, generator=generator, requires_grad=True)
        with matmul_backend(backend):
            dense(x, weight, bias, "relu").square().sum().backward()
        results.append((x.grad, weight.grad, bias.grad))
    for plain, fused in zip(*results, strict=True):
        torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-5)


def test_the_backend_holds_for_the_block_in_this_thread_only():
    assert current_backend() == "onednn"
    seen_elsewhere = []
    with matmul_backend("aten"):
        assert current_backend() == "aten"
        thread = threading.Thread(target=lambda: seen_elsewhere.append(current_backend()))
        thread.start()
        thread.join()
    assert current_backend() == "onednn" and seen_elsewhere == ["onednn"]
    with pytest.raises(ValueError, match="unknown matmul backend 'mkl'"), matmul_backend("mkl"):
        pass
