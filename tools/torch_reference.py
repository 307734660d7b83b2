"""The acoustic model and training step rebuilt in PyTorch, only as a speed reference for bench_train.py.

Same layers and sizes as asr.models.acoustic.AcousticModel (CMVN, frame stacking, N x bidirectional LSTM with
dropout between, Linear to the vocabulary), same loss (CTC on true lengths, blank 0, mean over
utterances of each utterance's summed loss), same optimizer (Adam, global gradient-norm clipping).
Padding is handled the PyTorch way, with packed sequences, so the backward LSTM never reads padding
either. Needs the `bench` extra: pip install -e ".[bench]".
"""

import time

import torch
from torch import nn


class TorchAcousticModel(nn.Module):
    def __init__(self, vocab_size, stack, skip, layers, units, dropout, n_mels=80):
        super().__init__()
        self.stack, self.skip = stack, skip
        self.register_buffer("mean", torch.zeros(n_mels))
        self.register_buffer("std", torch.ones(n_mels))
        sizes = [stack * n_mels] + [2 * units] * (layers - 1)
        self.recurrent = nn.ModuleList(nn.LSTM(size, units, batch_first=True, bidirectional=True) for size in sizes)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * units, vocab_size)

    def forward(self, features, lengths):
        x = (features - self.mean) / self.std
        n_out = (x.shape[1] - self.stack) // self.skip + 1
        x = torch.cat([x[:, i:i + (n_out - 1) * self.skip + 1:self.skip] for i in range(self.stack)], dim=-1)
        out_lengths = torch.clamp((lengths - self.stack) // self.skip + 1, min=0)
        for lstm in self.recurrent:
            packed = nn.utils.rnn.pack_padded_sequence(x, out_lengths.cpu(), batch_first=True, enforce_sorted=False)
            x, _ = nn.utils.rnn.pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=n_out)
            x = self.dropout(x)
        return self.classifier(x), out_lengths


def seconds_per_step(model_config, vocab_size, batch_arrays, warmup, steps, bfloat16=False):
    """Time the PyTorch training step on one batch of (features, lengths, labels, label_lengths).

    bfloat16: the model runs under torch.autocast (CPU, bfloat16), PyTorch's own mixed precision; the CTC
    loss takes float32 log-probabilities, as ours does."""
    torch.manual_seed(0)
    m = model_config
    model = TorchAcousticModel(vocab_size, m.stack, m.skip, m.layers, m.units, m.dropout).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    ctc = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    features, lengths, labels, label_lengths = (torch.from_numpy(a) for a in batch_arrays)
    lengths, label_lengths = lengths.long(), label_lengths.long()

    def step():
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            logits, out_lengths = model(features, lengths)
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T', B, V) as CTCLoss wants
        loss = ctc(log_probs, labels, out_lengths, label_lengths) / len(lengths)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps
