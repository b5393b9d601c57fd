#!/usr/bin/python3
"""The PyTorch peer of `npm run bench`: the canonical workload, the same way Model Lab trains it.

Fashion-MNIST from the same IDX files, the same 48,000 / 12,000 split (Model Lab's seeded shuffle: mulberry32,
seed 42, Fisher-Yates, both parts in file order), pixels / 255, Flatten -> Dense(100, relu) -> Dense(10, softmax),
sparse categorical crossentropy (mean over the batch), Keras optimizer defaults, batch 32 (1,500 steps an epoch),
the epoch order reshuffled from the run seed. One thread. Prints one JSON object per line: an `info` line, then one
line per run with seconds per epoch and the final loss / accuracy.

Run with Debian's interpreter (/usr/bin/python3, which has python3-torch):
  /usr/bin/python3 bench/peer_torch.py --epochs 1 --optimizers adam
"""
import argparse
import gzip
import json
import os
import re
import struct
import sys
import time

import numpy as np
import torch

DATA = '/usr/share/datasets/fashion-mnist'


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic, = struct.unpack('>i', data[:4])
    dims = magic & 0xff
    shape = struct.unpack('>' + 'i' * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Mulberry32:
    """Model Lab's seeded generator (src/data/rng.ts), so the split and the batch order match it."""

    def __init__(self, seed):
        self.state = int(seed) & 0xffffffff

    def next(self):
        self.state = (self.state + 0x6d2b79f5) & 0xffffffff
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xffffffff
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xffffffff)) & 0xffffffff
        return ((t ^ (t >> 14)) & 0xffffffff) / 4294967296

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = int(self.next() * (i + 1))
            a[i], a[j] = a[j], a[i]
        return a


def split(n, fraction, seed):
    validation = round(n * fraction)
    order = Mulberry32(seed).shuffle(list(range(n)))
    return np.sort(np.array(order[:n - validation])), np.sort(np.array(order[n - validation:]))


# Keras 2.x defaults and argument names (keras-reference.md), mapped to torch.optim where the rule is the same.
def make_optimizer(name, params):
    name = name.lower()
    if name == 'sgd':
        return torch.optim.SGD(params, lr=0.01)
    if name == 'rmsprop':
        # torch adds eps outside the square root, as Keras does without momentum.
        return torch.optim.RMSprop(params, lr=0.001, alpha=0.9, eps=1e-7)
    if name == 'adam':
        return torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    if name == 'adagrad':
        return torch.optim.Adagrad(params, lr=0.001, initial_accumulator_value=0.1, eps=1e-7)
    if name == 'adamax':
        return torch.optim.Adamax(params, lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    if name == 'adadelta':
        return torch.optim.Adadelta(params, lr=0.001, rho=0.95, eps=1e-7)
    raise SystemExit(f'unknown optimizer {name}')


def blas_in_use():
    """torch's build says BLAS_INFO=generic (the system libblas.so.3); name the library actually mapped."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    build = next(iter(re.findall(r'BLAS_INFO=[^,]*', torch.__config__.show())), 'BLAS_INFO=?')
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line})
    except OSError:
        libs = []
    return f"{build}; loaded: {', '.join(os.path.realpath(lib) for lib in libs) or 'unknown'}"


def glorot_(weight):
    torch.nn.init.xavier_uniform_(weight)


def run(name, x, y, xv, yv, epochs, batch, seed, max_steps):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    for layer in (model[1], model[3]):
        glorot_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    optimizer = make_optimizer(name, model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()  # softmax + crossentropy, mean over the batch
    rng = Mulberry32(seed)
    order = list(range(len(y)))
    epoch_seconds = []
    epoch_cpu_seconds = []
    loss_sum = correct = seen = 0
    steps = 0
    for _ in range(epochs):
        rng.shuffle(order)
        index = torch.tensor(order)
        started = time.perf_counter()
        cpu_started = time.process_time()
        loss_sum = correct = seen = 0
        for start in range(0, len(order), batch):
            if max_steps and steps >= max_steps:
                break
            idx = index[start:start + batch]
            # Pixels stay uint8 in memory and are scaled per batch, as Model Lab does.
            xb = x[idx].float().div_(255)
            yb = y[idx]
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.item() * len(yb)
                correct += (logits.argmax(1) == yb).sum().item()
                seen += len(yb)
            steps += 1
        epoch_seconds.append(time.perf_counter() - started)
        epoch_cpu_seconds.append(time.process_time() - cpu_started)
    with torch.no_grad():
        logits = model(xv.float().div_(255))
        val_loss = loss_fn(logits, yv).item()
        val_acc = (logits.argmax(1) == yv).float().mean().item()
    return {
        'optimizer': name,
        'epochs': epochs,
        'steps': steps,
        'epochSeconds': epoch_seconds,
        'epochCpuSeconds': epoch_cpu_seconds,
        'loss': loss_sum / max(seen, 1),
        'accuracy': correct / max(seen, 1),
        'val_loss': val_loss,
        'val_accuracy': val_acc,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--optimizers', default='adam', help='comma-separated Keras names, run one after another')
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--split-seed', type=int, default=42)
    p.add_argument('--max-steps', type=int, default=0, help='stop each run after this many steps (short mode)')
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    images = read_idx(os.path.join(DATA, 'train-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(DATA, 'train-labels-idx1-ubyte.gz'))
    train, val = split(len(labels), 0.2, a.split_seed)
    x = torch.from_numpy(images[train].copy())
    y = torch.from_numpy(labels[train].astype(np.int64))
    xv = torch.from_numpy(images[val].copy())
    yv = torch.from_numpy(labels[val].astype(np.int64))
    print(json.dumps({'info': {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'train': len(y),
                               'validation': len(yv), 'blas': blas_in_use()}}), flush=True)
    for name in a.optimizers.split(','):
        print(json.dumps(run(name, x, y, xv, yv, a.epochs, a.batch, a.seed, a.max_steps)), flush=True)


if __name__ == '__main__':
    sys.exit(main())
