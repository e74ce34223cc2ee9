# Test accuracy of TorchScript models on the first N Fashion-MNIST test images, one line
# per model, as PyTorch users measure it.
#   accuracy.py N MODEL.pt...
import gzip, sys, numpy as np, torch
d = '/usr/share/datasets/fashion-mnist/'
def idx(name, offset):
    with gzip.open(d + name) as f: return np.frombuffer(f.read(), np.uint8, offset=offset)
n = int(sys.argv[1])
x = torch.tensor(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)[:n], dtype=torch.float32) / 255
y = torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8)[:n].astype(np.int64))
for path in sys.argv[2:]:
    m = torch.jit.load(path).eval()
    with torch.no_grad(): print((m(x).argmax(1) == y).float().mean().item())
