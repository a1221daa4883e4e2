"""Synthetic city street networks with households, for benchmarks (reproducible from a seed).

A jittered street grid (blocks of ~100 m), with ~8 % of the street pieces removed (dead ends, blocks
merged into compounds) and a river of no crossings except a few bridges, placed at 28.2 N, 112.9 E.
Households stand up to 40 m off a random street, with 1-5 residents each.

    from benchmarks.gen_network import generate_city
    city = generate_city(n_nodes=100_000, n_households=100_000, seed=7)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from linli.coverage.engine import Network

LON0, LAT0 = 112.9, 28.2
BLOCK_M = 100.0


@dataclass(frozen=True)
class SyntheticCity:
    network: Network
    household_lon: np.ndarray
    household_lat: np.ndarray
    residents: np.ndarray
    community: np.ndarray  # a key per household: the 1 km x 1 km square it stands in


def generate_city(*, n_nodes: int, n_households: int, seed: int = 7, drop_share: float = 0.08) -> SyntheticCity:
    rng = np.random.default_rng(seed)
    side = int(math.ceil(math.sqrt(n_nodes)))
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = ii.ravel() * BLOCK_M + rng.normal(0, 12, side * side)
    y = jj.ravel() * BLOCK_M + rng.normal(0, 12, side * side)
    node = np.arange(side * side).reshape(side, side)
    u = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel()])
    v = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel()])
    keep = rng.random(u.size) >= drop_share
    # a river across the middle row gap: only every 12th vertical street crosses it
    river = side // 2
    is_crossing = (np.concatenate([ii[:-1, :].ravel(), np.full(node[:, :-1].size, -1)]) == river) & (
        np.concatenate([jj[:-1, :].ravel(), np.zeros(node[:, :-1].size, dtype=int)]) % 12 != 0
    )
    keep &= ~is_crossing
    u, v = u[keep], v[keep]
    m_per_deg_lat = 110_574.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(LAT0))
    lon = LON0 + x / m_per_deg_lon
    lat = LAT0 + y / m_per_deg_lat
    network = Network.from_edges(lon=lon, lat=lat, edge_u=u, edge_v=v)
    e = rng.integers(0, network.n_edges, n_households)
    t = rng.random(n_households)
    hx = network.lon[network.edge_u[e]] * (1 - t) + network.lon[network.edge_v[e]] * t
    hy = network.lat[network.edge_u[e]] * (1 - t) + network.lat[network.edge_v[e]] * t
    angle = rng.random(n_households) * 2 * math.pi
    off = rng.random(n_households) * 40.0
    hx = hx + off * np.cos(angle) / m_per_deg_lon
    hy = hy + off * np.sin(angle) / m_per_deg_lat
    residents = rng.integers(1, 6, n_households).astype(float)
    community = (
        ((hx - LON0) * m_per_deg_lon // 1000).astype(int) * 1000 + ((hy - LAT0) * m_per_deg_lat // 1000).astype(int)
    )
    return SyntheticCity(network, hx, hy, residents, community)
