"""Step-by-step agreement with PyTorch (runs only where torch is installed; CI skips it).

DESIGN.md promises the losses and optimizers are torch's, so a run can be checked against
PyTorch step by step: this is that check.
"""

import numpy as np
import pytest

from ffnn.core import Network, TrainConfig, Trainer, datasets

torch = pytest.importorskip("torch")

TORCH_OPT = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.99, eps=1e-8),
}


@pytest.mark.parametrize("optimizer", list(TORCH_OPT))
@pytest.mark.parametrize("head", ["softmax", "sigmoid", "identity"])
def test_twenty_full_batch_steps_match_pytorch(optimizer, head):
    X, y = datasets.make("moons", n_samples=64, noise=0.1, seed=0)
    n_out, loss = {"softmax": (2, "cross_entropy"), "sigmoid": (1, "bce"),
                   "identity": (1, "mse")}[head]
    net = Network([2, 8, 8, n_out], ["tanh", "relu", head], seed=0)
    W = [torch.tensor(w.copy(), requires_grad=True) for w in net.weights]
    b = [torch.tensor(v.copy(), requires_grad=True) for v in net.biases]
    opt = TORCH_OPT[optimizer](W + b, 0.01)
    Xt = torch.tensor(X)
    target = torch.tensor(y) if head == "softmax" else torch.tensor(y, dtype=torch.float64)[:, None]
    tr = Trainer(net, X, y, TrainConfig(loss=loss, optimizer=optimizer, learning_rate=0.01,
                                        batch_size=64, epochs=20, l2=0.0))
    ours = [s.loss for s in tr.steps()]
    theirs = []
    for _ in range(20):
        opt.zero_grad()
        h = torch.relu(torch.tanh(Xt @ W[0] + b[0]) @ W[1] + b[1]) @ W[2] + b[2]
        if head == "softmax":
            value = torch.nn.functional.cross_entropy(h, target)
        elif head == "sigmoid":
            value = torch.nn.functional.binary_cross_entropy_with_logits(h, target)
        else:
            value = torch.nn.functional.mse_loss(h, target)
        value.backward()
        opt.step()
        theirs.append(value.item())
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    for w, wt in zip(net.weights, W, strict=True):
        np.testing.assert_allclose(w, wt.detach().numpy(), rtol=1e-8, atol=1e-12)
