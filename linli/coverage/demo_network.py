"""A synthetic but plausible pedestrian street network for the demo county, written as OSM XML.

Shape (reproducible from the seed): main roads every ~420 m (secondary/tertiary, nearly straight),
irregular residential lanes between them (~70 m, jittered, some bent, ~15 % missing: dead ends and
merged blocks), gated compounds whose inner lanes are private (not walkable for the public) or
footways, a river across the town crossed only by two bridges, and an expressway (motorway, never
walkable) that cuts the west side off except at two underpasses. Nothing here imports Django; the
demo feeds the file through the same importer a county would use for a real OSM extract.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

SPACING_M = 70.0
MAIN_EVERY = 6  # every 6th lane line is a main road (~420 m)
RIVER_HALF_WIDTH_M = 45.0


@dataclass(frozen=True)
class DemoNetworkInfo:
    path: Path
    nodes: int
    ways: int


def _river_north(east_m: float) -> float:
    """The river's centre line (metres north of the town centre) at a given easting."""
    return -950.0 + 180.0 * math.sin(east_m / 1100.0) + 60.0 * math.sin(east_m / 310.0)


def _motorway_east(north_m: float) -> float:
    return -1900.0 + 0.12 * north_m


def generate_demo_osm(path: Path, *, lat0: float, lng0: float, seed: int = 15,
                      south_m: float = -2500.0, north_m: float = 4000.0, west_m: float = -3500.0,
                      east_m: float = 2500.0) -> DemoNetworkInfo:
    """Write the network around (lat0, lng0) to ``path`` (OSM XML) and say how big it is."""
    rng = random.Random(seed)
    m_lat = 110_574.0
    m_lng = 111_320.0 * math.cos(math.radians(lat0))
    ni = int((east_m - west_m) // SPACING_M) + 1
    nj = int((north_m - south_m) // SPACING_M) + 1
    pos: dict[tuple[int, int], tuple[float, float]] = {}
    bridge_cols = {MAIN_EVERY * round((ni * 0.35) / MAIN_EVERY), MAIN_EVERY * round((ni * 0.75) / MAIN_EVERY)}
    underpass_rows = {MAIN_EVERY * round((nj * 0.3) / MAIN_EVERY), MAIN_EVERY * round((nj * 0.7) / MAIN_EVERY)}
    for i in range(ni):
        for j in range(nj):
            main = i % MAIN_EVERY == 0 or j % MAIN_EVERY == 0
            jitter = 4.0 if main else 14.0
            x = west_m + i * SPACING_M + rng.gauss(0, jitter)
            y = south_m + j * SPACING_M + rng.gauss(0, jitter)
            if abs(y - _river_north(x)) < RIVER_HALF_WIDTH_M and i not in bridge_cols:
                continue  # in the river
            pos[(i, j)] = (x, y)
    # gated compounds: blocks of 3 x 3 lane cells
    compounds = {}
    for _ in range(60):
        ci, cj = rng.randrange(1, ni - 4), rng.randrange(1, nj - 4)
        private = rng.random() < 0.5
        for di in range(3):
            for dj in range(3):
                compounds[(ci + di, cj + dj)] = private

    nodes: list[tuple[int, float, float]] = []
    node_id: dict[object, int] = {}

    def node(key, x, y) -> int:
        if key not in node_id:
            node_id[key] = len(nodes) + 1
            nodes.append((node_id[key], lat0 + y / m_lat, lng0 + x / m_lng))
        return node_id[key]

    ways: list[tuple[list[int], dict[str, str]]] = []
    for (i, j), (x, y) in pos.items():
        for di, dj in ((1, 0), (0, 1)):
            other = (i + di, j + dj)
            if other not in pos:
                continue
            x2, y2 = pos[other]
            horizontal = dj == 0
            main = (j % MAIN_EVERY == 0) if horizontal else (i % MAIN_EVERY == 0)
            crosses_river = (y - _river_north(x)) * (y2 - _river_north(x2)) < 0
            crosses_motorway = (x - _motorway_east(y)) * (x2 - _motorway_east(y2)) < 0
            tags: dict[str, str]
            if crosses_river:
                if not (main and not horizontal and i in bridge_cols):
                    continue
                tags = {"highway": "secondary", "bridge": "yes", "layer": "1", "name": "犹江大桥"}
            elif crosses_motorway:
                if not (main and horizontal and j in underpass_rows):
                    continue
                tags = {"highway": "tertiary", "tunnel": "yes", "layer": "-1"}
            elif main:
                tags = {"highway": "secondary" if horizontal else "tertiary"}
            else:
                if rng.random() < 0.15:
                    continue  # a missing lane: dead ends, merged blocks
                cell = (min(i, other[0]), min(j, other[1]))
                if cell in compounds:
                    tags = ({"highway": "service", "access": "private"} if compounds[cell]
                            else {"highway": "footway"})
                else:
                    tags = {"highway": rng.choice(["residential", "residential", "residential", "service",
                                                   "living_street", "footway"])}
            a = node((i, j), x, y)
            b = node(other, x2, y2)
            refs = [a, b]
            if not main and rng.random() < 0.6:  # a bend in the lane
                mx = (x + x2) / 2 + rng.gauss(0, 10)
                my = (y + y2) / 2 + rng.gauss(0, 10)
                same_side = ((my - _river_north(mx)) * (y - _river_north(x)) > 0
                             and (mx - _motorway_east(my)) * (x - _motorway_east(y)) > 0)
                if same_side:  # a bend never carries a lane across the river or the expressway
                    refs = [a, node(("bend", i, j, di), mx, my), b]
            ways.append((refs, tags))
    # the expressway itself (its own nodes: it shares none with the streets, so it connects nothing)
    motorway = [node(("motorway", k), _motorway_east(y), y)
                for k, y in enumerate(range(int(south_m), int(north_m) + 1, 100))]
    ways.append((motorway, {"highway": "motorway", "ref": "G6011", "name": "南韶高速"}))
    # a riverside footway path that walkers may not use (foot=no along the flood wall)
    wall = [node(("wall", k), x, _river_north(x) + 20) for k, x in enumerate(range(-800, 800, 60))]
    ways.append((wall, {"highway": "footway", "foot": "no"}))

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="linli demo">\n')
        for nid, lat, lng in nodes:
            fh.write(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lng:.7f}"/>\n')
        for wid, (refs, tags) in enumerate(ways, start=1):
            fh.write(f'<way id="{wid}" version="1">')
            fh.write("".join(f'<nd ref="{r}"/>' for r in refs))
            fh.write("".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()))
            fh.write("</way>\n")
        fh.write("</osm>\n")
    return DemoNetworkInfo(path=path, nodes=len(nodes), ways=len(ways))
