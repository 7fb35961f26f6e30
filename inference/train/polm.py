"""pol-proofs' model file format (`.polm`), mirrored in Python.

Mirror of `proofs/src/model.rs` (`Model::to_bytes` / `from_bytes`); all integers little-endian:

    "POLM" | version u8 = 1 | architecture bytes
           | per layer: weights i8 x (output*input), row-major [output][input]
                        bias i32 x output
    architecture = "POLA" | version u8 = 1 | n_layers u16 | n_layers x (input u32 | output u32 | shift u8)

No trailing bytes. Hidden layers have shift 1..=31, the last layer shift 0. The Rust test
`polm_written_by_python_loads` reads the file this module writes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

MODEL_MAGIC = b"POLM"
MODEL_VERSION = 1
ARCH_MAGIC = b"POLA"
ARCH_VERSION = 1
MAX_LAYERS = 16
MAX_DIM = 1 << 16
MAX_SHIFT = 31


@dataclass
class Layer:
    input: int
    output: int
    shift: int
    weights: list[int] = field(default_factory=list)  # row-major [output][input], i8
    bias: list[int] = field(default_factory=list)  # [output], i32


def validate(layers: list[Layer]) -> None:
    if not 1 <= len(layers) <= MAX_LAYERS:
        raise ValueError(f"{len(layers)} layers, need 1..={MAX_LAYERS}")
    for i, l in enumerate(layers):
        if not (1 <= l.input <= MAX_DIM and 1 <= l.output <= MAX_DIM):
            raise ValueError(f"layer {i}: {l.input}x{l.output} outside 1..={MAX_DIM}")
        if i > 0 and layers[i - 1].output != l.input:
            raise ValueError(f"layer {i}: input {l.input} != previous output {layers[i - 1].output}")
        if i == len(layers) - 1:
            if l.shift != 0:
                raise ValueError(f"last layer {i}: shift must be 0")
        elif not 1 <= l.shift <= MAX_SHIFT:
            raise ValueError(f"hidden layer {i}: shift {l.shift} outside 1..={MAX_SHIFT}")
        if len(l.weights) != l.input * l.output or len(l.bias) != l.output:
            raise ValueError(f"layer {i}: wrong weight or bias length")
        if any(w < -128 or w > 127 for w in l.weights):
            raise ValueError(f"layer {i}: weight outside i8")
        if any(b < -(2**31) or b > 2**31 - 1 for b in l.bias):
            raise ValueError(f"layer {i}: bias outside i32")


def arch_bytes(layers: list[Layer]) -> bytes:
    out = bytearray(ARCH_MAGIC)
    out += struct.pack("<BH", ARCH_VERSION, len(layers))
    for l in layers:
        out += struct.pack("<IIB", l.input, l.output, l.shift)
    return bytes(out)


def to_bytes(layers: list[Layer]) -> bytes:
    validate(layers)
    out = bytearray(MODEL_MAGIC)
    out += struct.pack("<B", MODEL_VERSION)
    out += arch_bytes(layers)
    for l in layers:
        out += struct.pack(f"<{len(l.weights)}b", *l.weights)
        out += struct.pack(f"<{len(l.bias)}i", *l.bias)
    return bytes(out)


def from_bytes(data: bytes) -> list[Layer]:
    if data[:4] != MODEL_MAGIC or data[4] != MODEL_VERSION:
        raise ValueError("not a version-1 POLM file")
    if data[5:9] != ARCH_MAGIC or data[9] != ARCH_VERSION:
        raise ValueError("bad architecture header")
    (n,) = struct.unpack_from("<H", data, 10)
    off = 12
    shapes = []
    for _ in range(n):
        shapes.append(struct.unpack_from("<IIB", data, off))
        off += 9
    layers = []
    for i, o, s in shapes:
        w = list(struct.unpack_from(f"<{i * o}b", data, off))
        off += i * o
        b = list(struct.unpack_from(f"<{o}i", data, off))
        off += 4 * o
        layers.append(Layer(i, o, s, w, b))
    if off != len(data):
        raise ValueError(f"{len(data) - off} trailing bytes")
    validate(layers)
    return layers
