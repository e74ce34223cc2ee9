"""Writes the checkpoint forms PyTorch users produce, for state_dict_reader_test.

Usage: make_checkpoints.py DIR. Every file holds the same two tensors: a.weight = arange(6)
viewed 2x3 and a.bias = [1.5, -2], in the dtype or wrapper its name says.
"""
import collections
import sys

import torch

out = sys.argv[1]
weight = torch.arange(6, dtype=torch.float32).view(2, 3)
bias = torch.tensor([1.5, -2.0])


def state(dtype=torch.float32, prefix=""):
    sd = collections.OrderedDict()
    sd[prefix + "a.weight"] = weight.to(dtype)
    sd[prefix + "a.bias"] = bias.to(dtype)
    return sd


torch.save(state(), out + "/ordered.pt")
torch.save(dict(state()), out + "/plain_dict.pt")
torch.save({"state_dict": state()}, out + "/one_key.pt")
model = torch.nn.Sequential(collections.OrderedDict(a=torch.nn.Linear(3, 2)))
with torch.no_grad():
    model.a.weight.copy_(weight)
    model.a.bias.copy_(bias)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model(torch.ones(4, 3)).sum().backward()
optimizer.step()
with torch.no_grad():
    model.a.weight.copy_(weight)
    model.a.bias.copy_(bias)
torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "best": 0.91, "name": "run-7", "flags": {1, 2}},
           out + "/wrapped_model.pt")
torch.save({"model_state_dict": state(), "loss": torch.tensor(0.5)}, out + "/model_state_dict.pt")
torch.save({"net": state(), "epoch": 9}, out + "/net.pt")
torch.save(state(prefix="module."), out + "/data_parallel.pt")
torch.save(state(torch.float16), out + "/float16.pt")
torch.save(state(torch.bfloat16), out + "/bfloat16.pt")
torch.save(state(torch.float64), out + "/float64.pt")
# A transposed view and two tensors sharing one storage.
base = torch.tensor([[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])
shared = torch.tensor([9.0, 1.5, -2.0])
torch.save({"a.weight": base.t(), "a.bias": shared[1:]}, out + "/views.pt")
torch.save(model, out + "/whole_module.pt")
torch.save(state(), out + "/legacy.pt", _use_new_zipfile_serialization=False)
torch.jit.save(torch.jit.script(model), out + "/torchscript.pt")
