import json
import math
import re

import numpy as np
import pytest

from linli.cli import main
from linli.coverage.demo_network import _motorway_east, _river_north, generate_demo_osm
from linli.coverage.engine import load_osm
from linli.coverage.models import CoverageRun, StreetNetwork

from .conftest import center, grid_geojson, household

pytestmark = pytest.mark.django_db
LAT0, LNG0 = 25.7935, 114.5430


def test_cli_imports_runs_and_sites(county, tmp_path, capsys):
    path = grid_geojson(tmp_path / "town.geojson")
    center(county["A"], 0, 0)
    household(county["A1"], 100, 0, members=2)
    household(county["B1"], 1400, 1400, members=3)
    main(["coverage", "import-network", str(path), "--crs", "wgs84"])
    assert StreetNetwork.objects.get().node_count > 0
    main(["coverage", "run"])
    out = capsys.readouterr().out
    assert "社区A" in out and "50.0%" in out
    run = CoverageRun.objects.get()
    files = tmp_path / "coverage" / f"run-{run.pk}"
    assert json.loads((files / "isochrones.geojson").read_text())["type"] == "FeatureCollection"
    assert (files / "divisions.csv").read_text(encoding="utf-8-sig").startswith("level,id,name")
    main(["coverage", "site", "--k", "1", "--candidates", "nodes"])
    out = capsys.readouterr().out
    assert "optimality gap 0.0000%" in out and "newly within 15 min: 3" in out


def test_cli_refuses_bad_input_clearly(county, tmp_path, capsys):
    bad = tmp_path / "bad.osm"
    bad.write_text("nope")
    with pytest.raises(SystemExit):
        main(["coverage", "import-network", str(bad)])
    assert "不是可用的步行路网" in capsys.readouterr().err
    grid = grid_geojson(tmp_path / "g.geojson")
    main(["coverage", "import-network", str(grid)])
    with pytest.raises(SystemExit):
        main(["coverage", "run", "--function", "sauna"])
    assert "未知的功能室类型" in capsys.readouterr().err


def test_demo_network_has_a_river_with_two_bridges_and_no_motorway(tmp_path):
    info = generate_demo_osm(tmp_path / "demo.osm", lat0=LAT0, lng0=LNG0)
    assert 10_000 <= info.nodes <= 30_000
    text = info.path.read_text(encoding="utf-8")
    assert text.count('v="motorway"') == 1
    net = load_osm(info.path)
    north = (net.lat - LAT0) * 110_574.0
    east = (net.lon - LNG0) * 111_320.0 * math.cos(math.radians(LAT0))
    side = np.sign(north - np.array([_river_north(e) for e in east]))
    crossings = side[net.edge_u] != side[net.edge_v]
    assert int(crossings.sum()) == 2  # the two bridges, nothing else crosses the river
    mside = np.sign(east - np.array([_motorway_east(n) for n in north]))
    assert int((mside[net.edge_u] != mside[net.edge_v]).sum()) == 2  # two underpasses
    motorway = re.search(r'((?:<nd ref="\d+"/>)+)<tag k="highway" v="motorway"/>', text).group(1)
    assert not {int(r) for r in re.findall(r"\d+", motorway)} & set(net.node_ids.tolist())
