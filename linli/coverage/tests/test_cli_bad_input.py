"""The coverage CLI refuses bad input with one clear line and exit code 2: no traceback, nothing
written (no network row, no orphan .npz file); and one coverage run at a time per division."""

import json

import pytest

from linli.cli import main
from linli.coverage import services
from linli.coverage.models import CoverageRun, StreetNetwork

from .conftest import grid_geojson

pytestmark = pytest.mark.django_db

GOOD = [[114.54, 25.79], [114.541, 25.79]]
BAD_FILES = {
    "a point with one number": '{"type": "LineString", "coordinates": [[1], [1.001, 2]]}',
    "a null coordinate": '{"type": "LineString", "coordinates": [[1, null], [1.001, 2]]}',
    "coordinates not a list": '{"type": "LineString", "coordinates": 5}',
    "a line not a list": '{"type": "MultiLineString", "coordinates": [5, 6]}',
    "a NaN literal": '{"type": "LineString", "coordinates": [[114.54, NaN], [114.541, 25.79]]}',
    "Infinity": '{"type": "LineString", "coordinates": [[114.54, Infinity], [114.541, 25.79]]}',
    "a longitude of 500": '{"type": "LineString", "coordinates": [[500, 25.79], [114.541, 25.79]]}',
    "a latitude of 91": '{"type": "LineString", "coordinates": [[114.54, 91], [114.541, 25.79]]}',
    "a boolean": '{"type": "LineString", "coordinates": [[true, 25.79], [114.541, 25.79]]}',
    "a string": '{"type": "LineString", "coordinates": [["114.54", 25.79], [114.541, 25.79]]}',
    "a feature with a bad geometry": '{"type": "Feature", "properties": {}, "geometry": 5}',
}


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("what", BAD_FILES)
def test_malformed_geojson_is_a_clear_error_and_writes_nothing(what, county, tmp_path, capsys):
    path = tmp_path / "in" / "bad.geojson"
    path.parent.mkdir()
    path.write_text(BAD_FILES[what])
    before = _files(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["coverage", "import-network", str(path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not StreetNetwork.objects.exists()
    assert _files(tmp_path) == before  # no orphan network file


@pytest.mark.parametrize("value", ["abc", "5,,x", "-5", "nan", "inf"])
def test_bad_thresholds_are_a_clear_error(value, county, tmp_path, capsys):
    main(["coverage", "import-network", str(grid_geojson(tmp_path / "g.geojson"))])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["coverage", "run", "--thresholds", value])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not CoverageRun.objects.exists()


def test_a_second_run_for_the_same_division_is_refused_while_one_runs(county, tmp_path, capsys):
    main(["coverage", "import-network", str(grid_geojson(tmp_path / "g.geojson"))])
    network = StreetNetwork.objects.get()
    busy = CoverageRun.objects.create(network=network, division=county["county"], speed_kmh=4, thresholds=[15],
                                      status=CoverageRun.Status.RUNNING)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["coverage", "run"])
    assert exit_.value.code == 2
    assert f"{busy.pk}" in capsys.readouterr().err
    assert CoverageRun.objects.count() == 1
    busy.status = CoverageRun.Status.FINISHED
    busy.save()
    run = services.coverage_run(network=network, division=county["county"])  # free again
    assert run.pk != busy.pk


def test_a_good_file_still_imports(county, tmp_path):
    path = tmp_path / "ok.geojson"
    path.write_text(json.dumps({"type": "LineString", "coordinates": GOOD}))
    main(["coverage", "import-network", str(path)])
    assert StreetNetwork.objects.get().node_count == 2
