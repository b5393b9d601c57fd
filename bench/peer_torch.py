#!/usr/bin/python3
"""The PyTorch peer of `npm run bench`: the canonical workload, the same way Model Lab trains it.

Fashion-MNIST from the same IDX files, the same 48,000 / 12,000 split (Model Lab's seeded shuffle: mulberry32,
seed 42, Fisher-Yates, both parts in file order), pixels / 255, Flatten -> Dense(100, relu) -> Dense(10, softmax),
sparse categorical crossentropy (mean over the batch), Keras 2.x optimizer rules and defaults, batch 32 (1,500 steps an epoch),
the epoch order reshuffled from the run seed (`--hidden 512,512 --batch 128`: the wide workload). One thread. Prints one JSON object per line: an `info` line, then one
line per run with seconds per epoch and the final loss / accuracy.

Optimizers come as Keras names (Keras defaults) or, from `npm run bench`, as the exact configs of a `model-lab compare`
run record, so the peer trains what the comparison trained. Run with Debian's interpreter (/usr/bin/python3, which has
python3-torch):
  /usr/bin/python3 bench/peer_torch.py --epochs 1 --optimizers adam
  /usr/bin/python3 bench/peer_torch.py --configs '[{"type": "SGD", "momentum": 0.9, "nesterov": true}]'
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


def read_idx(folder, name):
    """An IDX file, gzip-compressed (name.gz) or not, as Model Lab accepts either."""
    path = os.path.join(folder, name)
    if os.path.exists(path + '.gz'):
        with gzip.open(path + '.gz', 'rb') as f:
            data = f.read()
    elif os.path.exists(path):
        with open(path, 'rb') as f:
            data = f.read()
    else:
        raise SystemExit(f'peer_torch.py: {path}.gz is missing; pass --data with the folder holding the Fashion-MNIST files.')
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


# Keras 2.x defaults (keras-reference.md): what a bare name like 'adam' means, as Model Lab's run records spell it.
KERAS_DEFAULTS = {
    'sgd': {'type': 'SGD', 'learning_rate': 0.01, 'momentum': 0.0, 'nesterov': False},
    'rmsprop': {'type': 'RMSprop', 'learning_rate': 0.001, 'rho': 0.9, 'momentum': 0.0, 'epsilon': 1e-7, 'centered': False},
    'adam': {'type': 'Adam', 'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-7, 'amsgrad': False},
    'adagrad': {'type': 'Adagrad', 'learning_rate': 0.001, 'initial_accumulator_value': 0.1, 'epsilon': 1e-7},
    'adamax': {'type': 'Adamax', 'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-7},
    'adadelta': {'type': 'Adadelta', 'learning_rate': 0.001, 'rho': 0.95, 'epsilon': 1e-7},
}


def keras_config(name_or_config):
    """A full Keras config: a bare name gets Keras's defaults; a config (from a run record) fills in the rest."""
    if isinstance(name_or_config, str):
        name_or_config = {'type': name_or_config}
    key = str(name_or_config.get('type', '')).lower()
    if key not in KERAS_DEFAULTS:
        raise SystemExit(f"peer_torch.py: unknown optimizer '{name_or_config.get('type')}'; use one of {', '.join(KERAS_DEFAULTS)}.")
    return {**KERAS_DEFAULTS[key], **name_or_config, 'type': KERAS_DEFAULTS[key]['type']}


def make_optimizer(config, params):
    """torch.optim with the Keras 2.x update rule and hyper-parameters; refuses a combination torch cannot match."""
    c = config
    kind = c['type']
    if kind == 'SGD':
        # Nesterov: torch keeps b = mu*b + g and steps w -= lr*(g + mu*b); Keras 2.x keeps v = mu*v - lr*g and steps
        # w += mu*v - lr*g. The formulas differ, but with a constant learning rate v = -lr*b at every step (torch
        # starts b at the first gradient, Keras v at -lr times it), so the weights follow the same path. They part
        # only under a learning-rate schedule, which the benchmark does not use. Plain momentum is the same story.
        return torch.optim.SGD(params, lr=c['learning_rate'], momentum=c['momentum'], nesterov=bool(c['nesterov']))
    if kind == 'RMSprop':
        # torch's alpha is Keras's rho. Without momentum and uncentred, both add eps outside the square root; Keras's
        # momentum and centred variants add it inside, which torch cannot do, so those are refused.
        if c['momentum'] or c['centered']:
            raise SystemExit('peer_torch.py: RMSprop with momentum or centered=True has no torch equivalent; use the plain form.')
        return torch.optim.RMSprop(params, lr=c['learning_rate'], alpha=c['rho'], eps=c['epsilon'])
    if kind == 'Adam':
        # Keras adds eps to sqrt(v) before bias correction, torch after it: Keras's rule is torch's with
        # eps / sqrt(1 - beta_2^t) (3e-6 at the first step, near 1e-7 after a few thousand), tiny beside sqrt(v_hat).
        return torch.optim.Adam(params, lr=c['learning_rate'], betas=(c['beta_1'], c['beta_2']), eps=c['epsilon'],
                                amsgrad=bool(c['amsgrad']))
    if kind == 'Adagrad':
        # torch's defaults (accumulator 0, eps 1e-10) are not Keras's; its rule (eps outside the root) is.
        return torch.optim.Adagrad(params, lr=c['learning_rate'], initial_accumulator_value=c['initial_accumulator_value'],
                                   eps=c['epsilon'])
    if kind == 'Adamax':
        # torch adds eps to |g| inside the max, Keras to the norm after it: the same within 1e-7.
        return torch.optim.Adamax(params, lr=c['learning_rate'], betas=(c['beta_1'], c['beta_2']), eps=c['epsilon'])
    if kind == 'Adadelta':
        # torch's default lr is 1.0; Keras 2.x's is 0.001, passed here. Both put eps inside the square roots.
        return torch.optim.Adadelta(params, lr=c['learning_rate'], rho=c['rho'], eps=c['epsilon'])
    raise SystemExit(f'peer_torch.py: no torch mapping for {kind}.')


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


class LastStep(torch.nn.Module):
    """Keras's LSTM(return_sequences=False): the output at the last time step."""

    def forward(self, x):
        return x[0][:, -1, :]


class RowsAsSteps(torch.nn.Module):
    """[batch, 28, 28, dim] embeddings -> [batch, 28, 28 * dim]: each image row is one time step."""

    def forward(self, x):
        return x.reshape(x.shape[0], x.shape[1], -1)


def build(model, hidden):
    """The network of a workload, initialised as Keras initialises it where torch allows (glorot kernels, zero biases)."""
    if model == 'mlp':
        layers = [torch.nn.Flatten()]
        width = 784
        for units in hidden:
            layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
            width = units
        layers.append(torch.nn.Linear(width, 10))
    elif model in ('cnn', 'cnn-bn'):
        if model == 'cnn':
            # Conv32 same relu > pool 2 > Conv64 same relu > pool 2 > Dense 100 relu > Dense 10 (bench.ts 'small CNN').
            layers = [torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                      torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                      torch.nn.Flatten(), torch.nn.Linear(3136, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)]
        else:
            # Conv32 stride 2 'same' relu > BN > Conv64 stride 2 'same' relu > BN > AvgPool 2 (valid: 7 -> 3)
            # > Dense 100 relu > Dense 10 (bench.ts 'CNN with BN and strides'). Keras's 'same' with stride 2 on an even
            # size pads only bottom/right: torch gets that padding explicitly. BN: Keras momentum 0.99 = torch 0.01.
            layers = [torch.nn.ZeroPad2d((0, 1, 0, 1)), torch.nn.Conv2d(1, 32, 3, stride=2), torch.nn.ReLU(),
                      torch.nn.BatchNorm2d(32, eps=1e-3, momentum=0.01),
                      torch.nn.ZeroPad2d((0, 1, 0, 1)), torch.nn.Conv2d(32, 64, 3, stride=2), torch.nn.ReLU(),
                      torch.nn.BatchNorm2d(64, eps=1e-3, momentum=0.01), torch.nn.AvgPool2d(2),
                      torch.nn.Flatten(), torch.nn.Linear(576, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)]
    elif model == 'lstm':
        # Embedding(256, 8) of each pixel value > rows as 28 time steps of 224 features > LSTM(64) > Dense 10.
        layers = [torch.nn.Embedding(256, 8), RowsAsSteps(), torch.nn.LSTM(224, 64, batch_first=True), LastStep(),
                  torch.nn.Linear(64, 10)]
    else:
        raise SystemExit(f'peer_torch.py: unknown --model {model}')
    net = torch.nn.Sequential(*layers)
    for layer in net:
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d)):
            glorot_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return net


def inputs(model, xb):
    """A batch of uint8 images as the workload's network takes them: scaled pixels, with a channel axis for a CNN,
    or the raw pixel values as token ids for the embedding."""
    if model == 'lstm':
        return xb.long()
    xb = xb.float().div_(255)
    return xb.unsqueeze(1) if model.startswith('cnn') else xb


def run(config, x, y, xv, yv, epochs, batch, seed, max_steps, hidden, model_kind='mlp'):
    torch.manual_seed(seed)
    model = build(model_kind, hidden)
    optimizer = make_optimizer(config, model.parameters())
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
            xb = inputs(model_kind, x[idx])
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
    model.eval()
    with torch.no_grad():
        # In chunks: a CNN's activations for all 12,000 images at once would take gigabytes.
        logits = torch.cat([model(inputs(model_kind, xv[i:i + 1000])) for i in range(0, len(yv), 1000)])
        val_loss = loss_fn(logits, yv).item()
        val_acc = (logits.argmax(1) == yv).float().mean().item()
    return {
        'optimizer': config,
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
    p.add_argument('--optimizers', default='adam', help='comma-separated Keras names (Keras defaults), run one after another')
    p.add_argument('--configs', help='JSON list of Keras optimizer configs ({"type": "SGD", "learning_rate": 0.1, ...}), '
                                     'as in a run record; replaces --optimizers')
    p.add_argument('--data', default=DATA, help='folder holding train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz)')
    p.add_argument('--validation-split', type=float, default=0.2)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--split-seed', type=int, default=42)
    p.add_argument('--max-steps', type=int, default=0, help='stop each run after this many steps (short mode)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--hidden', default='100', help='comma-separated widths of the relu hidden layers (default: the canonical 100)')
    p.add_argument('--model', default='mlp', choices=['mlp', 'cnn', 'cnn-bn', 'lstm'],
                   help='the network: the MLP of --hidden, the small CNN, the CNN with BatchNormalization and strides, '
                        'or Embedding + LSTM (see build())')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    configs = [keras_config(c) for c in (json.loads(a.configs) if a.configs else a.optimizers.split(','))]
    for config in configs:
        make_optimizer(config, [torch.zeros(1, requires_grad=True)])  # refuse an unmatched config before any work
    images = read_idx(a.data, 'train-images-idx3-ubyte')
    labels = read_idx(a.data, 'train-labels-idx1-ubyte')
    train, val = split(len(labels), a.validation_split, a.split_seed)
    x = torch.from_numpy(images[train].copy())
    y = torch.from_numpy(labels[train].astype(np.int64))
    xv = torch.from_numpy(images[val].copy())
    yv = torch.from_numpy(labels[val].astype(np.int64))
    print(json.dumps({'info': {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'train': len(y),
                               'validation': len(yv), 'blas': blas_in_use()}}), flush=True)
    for config in configs:
        print(json.dumps(run(config, x, y, xv, yv, a.epochs, a.batch, a.seed, a.max_steps, [int(h) for h in a.hidden.split(',')], a.model)), flush=True)


if __name__ == '__main__':
    sys.exit(main())
