import re
import warnings
from dataclasses import replace

import torch

from minigpt.block import Block
from minigpt.config import Attention, GPTConfig, Residual

config = GPTConfig(vocab_size=16, block_size=4, n_head=2, n_embd=8, attention=Attention.explicit)

torch.manual_seed(0)
block = Block(replace(config, residual=Residual.inplace))
h = torch.randn(2, 4, 8, requires_grad=True).clone()  # (B, T, C)

with torch.autograd.detect_anomaly(check_nan=False), warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out = block(h)
    try:
        out.sum().backward()
    except RuntimeError as error:
        message = str(error)

forward_traceback = next(str(w.message) for w in caught if "Traceback of forward call" in str(w.message))
lines = forward_traceback.splitlines()
print(lines[0])
below_this_script = False
for line, code in zip(lines, lines[1:]):
    below_this_script |= f'File "{__file__}"' in line
    frame = re.search(r'File ".*(src/minigpt/\S+)", line (\d+), in (\w+)', line)
    if below_this_script and frame:  # en: the model's frames; torch's own are left out
    # es: los marcos del modelo; los de torch se omiten
        path, number, function = frame.groups()
        print(f"  {path}:{number} in {function}:  {code.strip()}")
print("The error now ends with:", message[message.index("Hint:"):])
