"""A custom autograd Function saves gradients it computed in forward and scales them in place in its backward:
a second backward through the retained graph finds them changed.

Source: https://github.com/k2-fsa/k2/pull/1106
  "Removing inplace grad multiplication to allow `retain_graph` in backprop"
The contributor calls `loss.backward(retain_graph=True)` on an RNN-T loss (training with several optimizers) and
gets "[torch.FloatTensor [2, 8, 17]] is at version 1; expected version 0"; the PR removes the in-place
multiplication on the saved gradients. Reproduced with a Function of the same shape as k2's mutual-information
recursion: forward computes the gradients of a logsumexp and saves them, backward multiplies them in place.
"""

import torch

RAISES = True


class MutualInformationRecursion(torch.autograd.Function):
    @staticmethod
    def forward(ctx, px, py):
        with torch.enable_grad():
            px_, py_ = px.detach().requires_grad_(), py.detach().requires_grad_()
            ans = torch.logsumexp(px_.flatten(1), 1) + torch.logsumexp(py_.flatten(1), 1)
            px_grad, py_grad = torch.autograd.grad(ans.sum(), (px_, py_))
        ctx.save_for_backward(px_grad, py_grad)
        return ans.detach()

    @staticmethod
    def backward(ctx, ans_grad):
        (px_grad, py_grad) = ctx.saved_tensors
        (B,) = ans_grad.shape
        ans_grad = ans_grad.reshape(B, 1, 1)
        px_grad *= ans_grad  # culprit
        py_grad *= ans_grad  # culprit
        return px_grad, py_grad


def run():
    torch.manual_seed(0)
    encoder = torch.nn.Linear(4, 17)
    px = encoder(torch.randn(2, 8, 4))
    py = encoder(torch.randn(2, 9, 4))
    loss = MutualInformationRecursion.apply(px, py).sum()
    loss.backward(retain_graph=True)  # the first of two optimizers' backwards
    loss.backward()
