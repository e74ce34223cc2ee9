# A vendor's model, made the usual PyTorch way: a small torchvision-style ResNet (batch
# norm, residual connections, downsampling shortcut) trained briefly on a Fashion-MNIST
# subset and saved with torch.jit.save.
#   train_resnet.py OUT.pt EXAMPLES EPOCHS SEED
import gzip, sys, numpy as np, torch, torch.nn as nn
torch.manual_seed(int(sys.argv[4]))
d = '/usr/share/datasets/fashion-mnist/'
def idx(name, offset):
    with gzip.open(d + name) as f: return np.frombuffer(f.read(), np.uint8, offset=offset)
x = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28)[:int(sys.argv[2])], dtype=torch.float32) / 255
y = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8)[:int(sys.argv[2])].astype(np.int64))
class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + idt)
class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = nn.Sequential(Block(16, 16, 1)); self.layer2 = nn.Sequential(Block(16, 32, 2))
        self.fc = nn.Linear(32, 10)
    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))
m = ResNet()
epochs = int(sys.argv[3])
opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
# The usual step schedule: the last epoch at a tenth of the rate, which also lets batch
# norm's running statistics settle on the final weights.
sched = torch.optim.lr_scheduler.MultiStepLR(opt, [max(1, epochs - 1)], 0.1)
for epoch in range(epochs):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        b = perm[i:i + 64]
        opt.zero_grad(); loss = nn.functional.cross_entropy(m(x[b]), y[b]); loss.backward(); opt.step()
    sched.step()
# Batch norm's running statistics recomputed on the final weights (torch's update_bn), as
# for any model whose last steps moved its weights faster than the running averages follow.
torch.optim.swa_utils.update_bn([x[i:i + 256] for i in range(0, len(x), 256)], m)
m.eval()
torch.jit.save(torch.jit.script(m), sys.argv[1])
print('saved', sys.argv[1])
