"""Cited question answering and calculators over the 云专线产品入网协议."""

__version__ = "0.1.0"
