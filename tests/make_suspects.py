"""Suspect models made with plain PyTorch, as a customer or a stranger would make them.

Usage:
  make_suspects.py forms COPY CUSTOMER OUT_DIR
      COPY (a delivered TorchScript file) saved in every common checkpoint form, one file
      per form: OUT_DIR/<form>-<CUSTOMER>.pt
  make_suspects.py random TEMPLATE SEED OUT
      TEMPLATE's architecture with freshly initialised weights (state_dict)
  make_suspects.py trained TEMPLATE SEED FMNIST_DIR OFFSET OUT
      TEMPLATE's architecture trained from scratch on 2,000 Fashion-MNIST images starting at
      OFFSET (TorchScript)
  make_suspects.py finetune MODEL SEED FMNIST_DIR OUT
      MODEL fine-tuned one pass over 2,000 images with the plain task loss (TorchScript)
  make_suspects.py nan COPY OUT
      COPY with NaN in one weight of every layer (state_dict)
"""
import collections
import gzip
import sys

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion(directory, offset, count):
    images = idx(directory + "/train-images-idx3-ubyte.gz")[offset:offset + count]
    labels = idx(directory + "/train-labels-idx1-ubyte.gz")[offset:offset + count]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def reinitialise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = p[0].numel()
                p.uniform_(-1.0 / fan_in ** 0.5, 1.0 / fan_in ** 0.5)
            else:
                p.zero_()


def train(model, x, y, seed, lr):
    torch.manual_seed(seed)
    model.train()
    optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for epoch in range(2):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            batch = order[i:i + 64]
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimiser.step()
    model.eval()


def forms(copy, customer, out):
    sd = torch.jit.load(copy).state_dict()
    params = collections.OrderedDict((k, v) for k, v in sd.items())
    model = torch.jit.load(copy)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    saves = {
        "ordered": params,
        "one-key": {"state_dict": params},
        "model-wrapper": {"model": params, "epoch": 3, "optimizer": optimiser.state_dict(),
                          "best_accuracy": 0.91},
        "model-state-dict": {"model_state_dict": params, "loss": torch.tensor(0.25)},
        "net": {"net": params, "epoch": 7},
        "data-parallel": collections.OrderedDict(("module." + k, v) for k, v in params.items()),
        "float16": collections.OrderedDict((k, v.half()) for k, v in params.items()),
        "bfloat16": collections.OrderedDict((k, v.bfloat16()) for k, v in params.items()),
        "float64": collections.OrderedDict((k, v.double()) for k, v in params.items()),
        # The names a PyTorch nn.Module of the same layers would use.
        "module-names": collections.OrderedDict(
            (k.replace("_weight", ".weight").replace("_bias", ".bias"), v)
            for k, v in params.items()),
    }
    for form, value in saves.items():
        torch.save(value, "%s/%s-%s.pt" % (out, form, customer))


def main():
    command = sys.argv[1]
    if command == "forms":
        forms(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "random":
        model = torch.jit.load(sys.argv[2])
        reinitialise(model, int(sys.argv[3]))
        torch.save(model.state_dict(), sys.argv[4])
    elif command == "trained":
        model = torch.jit.load(sys.argv[2])
        reinitialise(model, int(sys.argv[3]))
        x, y = fashion(sys.argv[4], int(sys.argv[5]), 2000)
        train(model, x, y, int(sys.argv[3]), 0.05)
        torch.jit.save(model, sys.argv[6])
    elif command == "finetune":
        model = torch.jit.load(sys.argv[2])
        x, y = fashion(sys.argv[4], 30000, 2000)
        train(model, x, y, int(sys.argv[3]), 0.01)
        torch.jit.save(model, sys.argv[5])
    elif command == "nan":
        sd = torch.jit.load(sys.argv[2]).state_dict()
        for k, v in sd.items():
            if k.endswith("weight"):
                v.view(-1)[0] = float("nan")
        torch.save(sd, sys.argv[3])
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
