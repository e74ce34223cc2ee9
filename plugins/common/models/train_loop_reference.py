"""The training loop of models_bench, written with PyTorch for a side-by-side timing.

Same architecture as the zoo's deepmarks_cnn (or fc900), same batch, optimiser and loss;
prints milliseconds per training step.
"""
import sys
import time

import torch


def build(name):
    if name == "deepmarks_cnn":
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.Conv2d(32, 32, 3), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(),
            torch.nn.Conv2d(64, 64, 3), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(64 * 8 * 8, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    layers = [torch.nn.Flatten(), torch.nn.Linear(784, 900), torch.nn.ReLU()]
    for _ in range(3):
        layers += [torch.nn.Linear(900, 900), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(900, 10))


def main():
    name, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(name)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))

    def step():
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print("%.3f" % ((time.perf_counter() - start) / steps * 1000))


if __name__ == "__main__":
    main()
