# Customers attacking with plain PyTorch: average two delivered copies, then fine-tune the
# average on data of their own.
#   collude.py A.pt B.pt AVERAGE.pt FINETUNED.pt
import gzip, sys
import numpy as np
import torch

a, b = torch.jit.load(sys.argv[1]), torch.jit.load(sys.argv[2])
average = torch.jit.load(sys.argv[1])
sa, sb = a.state_dict(), b.state_dict()
with torch.no_grad():
    for name, value in average.state_dict().items():
        if value.is_floating_point():
            value.copy_((sa[name] + sb[name]) / 2)
torch.jit.save(average, sys.argv[3])

root = '/usr/share/datasets/fashion-mnist/'
def idx(name, offset):
    with gzip.open(root + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)
x = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)[20000:22000],
                 dtype=torch.float32) / 255
y = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8)[20000:22000].astype(np.int64))
average.train()
optimiser = torch.optim.SGD(average.parameters(), lr=0.01, momentum=0.9)
for i in range(0, len(x), 64):
    optimiser.zero_grad()
    torch.nn.functional.cross_entropy(average(x[i:i + 64]), y[i:i + 64]).backward()
    optimiser.step()
average.eval()
torch.jit.save(average, sys.argv[4])
