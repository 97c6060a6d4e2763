"""Openline deconfliction benchmark (`make bench`): the geometry engine (openline.geo) at scale.

Data: random volumes over a 600 km by 600 km region around 35°N 38°E, polygons of 4 to 12
vertices and circles, 200 m to 20 km across, time windows of 1 to 12 h over 30 days, altitude
bands within 0 to 15,000 m; a fixed seed. ``--corridors SHARE`` makes that share of them
corridors instead: paths of 1 to 5 legs wandering over the same span, 100 m to 2 km either side.

1. One new volume checked against 10^4, 10^5 and 10^6 stored: p50 and p99 of the index work
   alone (``Detector.candidates``) and of the whole check (``Detector.hits_for``: index plus
   exact geometry), each timed in its own pass over the probes, under default-like minima
   (5 km, 300 m, 300 s), with the stored volumes frozen out of the garbage collector's
   generations as a node freezes them after loading. The whole check's processor time
   (``time.thread_time``) is given too: the engine's cost, whatever else the machine ran.
2. All conflicting pairs among 10^5 (``Detector.all_hits``), with zero minima and with the
   default-like minima, the stored volumes frozen out of the collector's generations too.

Each is compared in the same run with (a) a naive shapely loop (lon/lat polygons, pair by pair,
no index; sampled and extrapolated where a full run would take hours, and marked so) and (b)
PostGIS (a throwaway PostgreSQL 15 cluster on 127.0.0.1, the same data in a ``geography``
column with GiST indexes, timed inside the server). docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from node_bench import machine_facts
from openline.domain.volumes import Circle, Corridor, Polygon
from openline.geo.detection import Detector
from openline.geo.footprints import Shape

# Run as `python bench/NAME.py`, a benchmark has bench/ on its path, not the checkout's root,
# where tests/support (the throwaway PostgreSQL cluster it shares with the suite) lives.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.postgres import Cluster, PostgresUnavailable

SEED = 20261203
DAY_MS = 86_400_000
METRES_PER_DEG = 111_320.0
ZERO = (0.0, 0.0, 0.0)
DEFAULT_LIKE = (5000.0, 300.0, 300.0)  # lateral m, vertical m, time s
EPOCH = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
Minima = tuple[float, float, float]


@dataclass
class Volumes:
    """Columns of random volumes: footprints (domain objects and shapely lon/lat geometries)."""

    footprints: list[Polygon | Circle | Corridor]
    geoms: list[shapely.Geometry]
    radius: np.ndarray  # circles: radius in metres; corridors: half width; polygons 0
    t0: np.ndarray
    t1: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def __len__(self) -> int:
        return len(self.footprints)


def random_volumes(count: int, seed: int, corridors: float = 0.0) -> Volumes:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(34.7, 41.3, count)  # about 600 km at 35°N
    lat = rng.uniform(32.3, 37.7, count)
    across = np.exp(rng.uniform(math.log(200.0), math.log(20_000.0), count))
    circle = rng.random(count) < 0.5
    # Drawn after the rest, so that --corridors 0 gives the same volumes as before.
    corridor = np.random.default_rng(seed + 7).random(count) < corridors
    radius = np.where(circle, across / 2, 0.0)
    footprints: list[Polygon | Circle | Corridor] = []
    geoms: list[shapely.Geometry] = []
    for i in range(count):
        r = across[i] / 2
        if corridor[i]:
            radius[i] = float(np.exp(rng.uniform(math.log(100.0), math.log(2_000.0))))
            path = _random_path(rng, float(lon[i]), float(lat[i]), r)
            footprints.append(Corridor(path, float(radius[i])))
            geoms.append(shapely.LineString(path).buffer(radius[i] / METRES_PER_DEG, 16))
            continue
        if circle[i]:
            footprints.append(Circle(float(lat[i]), float(lon[i]), float(r)))
            geoms.append(shapely.Point(lon[i], lat[i]).buffer(r / METRES_PER_DEG, 16))
            continue
        angles = np.sort(rng.uniform(0, 2 * math.pi, rng.integers(4, 13)))
        reach = r * rng.uniform(0.6, 1.0, len(angles))
        xs = lon[i] + reach * np.sin(angles) / (METRES_PER_DEG * math.cos(math.radians(lat[i])))
        ys = lat[i] + reach * np.cos(angles) / METRES_PER_DEG
        ring = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
        footprints.append(Polygon(((*ring, ring[0]),)))
        geoms.append(shapely.Polygon(ring))
    t0 = rng.integers(0, 30 * DAY_MS, count)
    lower = rng.uniform(0, 14_000, count)
    return Volumes(
        footprints,
        geoms,
        radius,
        t0,
        t0 + rng.integers(3_600_000, 12 * 3_600_000, count, endpoint=True),
        lower,
        np.minimum(lower + rng.uniform(50, 3000, count), 15_000),
    )


def _random_path(
    rng: np.random.Generator, lon: float, lat: float, reach: float
) -> tuple[tuple[float, float], ...]:
    """1 to 5 legs, each turning up to 60 degrees from the last, over about ``2 * reach``."""
    legs = int(rng.integers(1, 6))
    heading = rng.uniform(0, 2 * math.pi)
    step = 2 * reach / legs
    path = [(lon, lat)]
    for _ in range(legs):
        heading += rng.uniform(-math.pi / 3, math.pi / 3)
        x, y = path[-1]
        x += step * math.sin(heading) / (METRES_PER_DEG * math.cos(math.radians(y)))
        path.append((x, y + step * math.cos(heading) / METRES_PER_DEG))
    return tuple(path)


def table(minima: tuple[float, float, float]) -> np.ndarray:
    return np.tile(np.array(minima), (1, 1, 2, 1))


def fill(detector: Detector, volumes: Volumes, start: int, stop: int, key0: int = 0) -> None:
    for i in range(start, stop):
        detector.add(
            key0 + i,
            Shape.of(volumes.footprints[i]),
            kind=0,
            owner=i % 7,
            t0_ms=int(volumes.t0[i]),
            t1_ms=int(volumes.t1[i]),
            lower_m=float(volumes.lower[i]),
            upper_m=float(volumes.upper[i]),
        )


# --- the naive loop ----------------------------------------------------------------------------


def naive_pair(a: Volumes, i: int, b: Volumes, j: int, minima: tuple[float, float, float]) -> bool:
    """One pair as a loop without an index tests it: time, altitude, then shapely in degrees."""
    lateral, vertical, time_s = minima
    if max(a.t0[i], b.t0[j]) - min(a.t1[i], b.t1[j]) > time_s * 1000:
        return False
    if max(a.lower[i], b.lower[j]) - min(a.upper[i], b.upper[j]) > vertical:
        return False
    return bool(a.geoms[i].distance(b.geoms[j]) * METRES_PER_DEG <= lateral)


def naive_one_ms(
    stored: Volumes, count: int, probes: Volumes, probe_count: int, minima: Minima
) -> list[float]:
    """Per probe (the first ``probe_count``): milliseconds for the loop over ``count`` stored."""
    times = []
    for p in range(probe_count):
        start = time.perf_counter()
        for j in range(count):
            naive_pair(probes, p, stored, j, minima)
        times.append((time.perf_counter() - start) * 1000)
    return times


def naive_all_pairs_s(volumes: Volumes, count: int, minima: Minima) -> float:
    """Seconds for every pair among the first ``count`` volumes."""
    start = time.perf_counter()
    for i in range(count):
        for j in range(i + 1, count):
            naive_pair(volumes, i, volumes, j, minima)
    return time.perf_counter() - start


# --- PostGIS ------------------------------------------------------------------------------------

PG_TIMEOUT_S = 900  # one statement; past it the figure is reported as not measured
MAX_RADIUS_M = 10_000.0  # the largest circle random_volumes makes (20 km across)
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")

# Why PostGIS cannot be measured here (printed, and the benchmark goes on).
PostGISUnavailable = PostgresUnavailable


class PostGIS:
    """A throwaway PostgreSQL 15 + PostGIS cluster in a temporary directory, on 127.0.0.1
    (tests/support/postgres.py starts it); psql is the client, and queries are timed inside the
    server with clock_timestamp(), so no client round trip is counted."""

    def __init__(self, work: Path) -> None:
        tuning = (
            "shared_buffers=1GB", "work_mem=256MB", "maintenance_work_mem=1GB", "fsync=off",
            "synchronous_commit=off", "full_page_writes=off", "jit=off",
            f"statement_timeout={PG_TIMEOUT_S}s",
        )  # fmt: skip
        self.cluster = Cluster(work, options=[part for o in tuning for part in ("-c", o)])

    def start(self) -> None:
        if not POSTGIS_CONTROL.exists():
            raise PostGISUnavailable(
                f"{POSTGIS_CONTROL} is missing: apt-get install postgresql-15-postgis-3"
            )
        self.cluster.start()
        self.sql("CREATE EXTENSION postgis; CREATE EXTENSION btree_gist;")

    def stop(self) -> None:
        self.cluster.stop()

    def sql(self, script: str) -> str:
        return self.cluster.psql(script)

    def load(self, name: str, volumes: Volumes, count: int) -> None:
        """Table ``name``: the first ``count`` volumes; circles as a point and a radius."""
        rows = "\n".join(_copy_row(volumes, i) for i in range(count))
        self.sql(
            f"CREATE TABLE {name} (id int PRIMARY KEY, g geography, r float8, t tstzrange,"
            " lo float8, hi float8);\n"
            f"COPY {name} FROM STDIN;\n{rows}\n\\.\n"
            f"CREATE INDEX ON {name} USING gist (g); CREATE INDEX ON {name} USING gist (t);"
            f" ANALYZE {name};"
        )

    def one_volume_ms(
        self, name: str, probes: str, minima: Minima
    ) -> tuple[list[float], list[list[int]]]:
        """Per probe (a table of probes): server milliseconds and the ids found."""
        out = self.sql(
            f"CREATE TEMP TABLE times (p int, ms float8, ids int[]);\n"  # noqa: S608 - our own names
            "DO $$ DECLARE q record; s timestamptz; found int[]; BEGIN\n"
            f"FOR q IN SELECT * FROM {probes} ORDER BY id LOOP\n"
            "  s := clock_timestamp();\n"
            f"  SELECT array_agg(v.id ORDER BY v.id) INTO found FROM {name} v\n"
            f"    WHERE {_near('v', 'q', minima)};\n"
            "  INSERT INTO times\n"
            "    VALUES (q.id, extract(epoch FROM clock_timestamp() - s) * 1000, found);\n"
            "END LOOP; END $$;\n"
            "SELECT ms, coalesce(array_to_string(ids, ','), '') FROM times ORDER BY p;"
        )
        times, found = [], []
        for line in out.splitlines():
            ms, ids = line.split("|")
            times.append(float(ms))
            found.append([int(x) for x in ids.split(",") if x])
        return times, found

    def all_pairs(self, name: str, minima: Minima) -> tuple[float, set[tuple[int, int]]]:
        """Seconds (in the server) for the self-join, and the pairs it found."""
        out = self.sql(
            "CREATE TEMP TABLE found (a int, b int); CREATE TEMP TABLE took (s float8);\n"  # noqa: S608 - our own names
            "DO $$ DECLARE s timestamptz; BEGIN s := clock_timestamp();\n"
            f"INSERT INTO found SELECT a.id, b.id FROM {name} a JOIN {name} b ON a.id < b.id"
            f" AND {_near('b', 'a', minima)};\n"
            "INSERT INTO took VALUES (extract(epoch FROM clock_timestamp() - s)); END $$;\n"
            "SELECT s FROM took; SELECT a || ',' || b FROM found;"
        )
        first, *rest = out.splitlines()
        seconds = float(first)
        pairs = {(int(a), int(b)) for a, b in (x.split(",") for x in rest if x)}
        return seconds, pairs


def _near(v: str, q: str, minima: Minima) -> str:
    """The SQL condition: ``v`` (the inner side, searched through its indexes) within the
    minima of ``q``. A circle is a point and a radius ``r``; the first ST_DWithin can use the
    GiST index because its distance names no column of ``v`` (``MAX_RADIUS_M`` stands for
    ``v.r``), the second is exact."""
    lateral, vertical, time_s = minima
    return (
        f"ST_DWithin({v}.g, {q}.g, {lateral} + {q}.r + {MAX_RADIUS_M})"
        f" AND ST_DWithin({v}.g, {q}.g, {lateral} + {v}.r + {q}.r)"
        f" AND {v}.t && tstzrange(lower({q}.t) - interval '{time_s} seconds',"
        f" upper({q}.t) + interval '{time_s} seconds', '[]')"
        f" AND {v}.lo <= {q}.hi + {vertical} AND {v}.hi >= {q}.lo - {vertical}"
    )


def _copy_row(vol: Volumes, i: int) -> str:
    f = vol.footprints[i]
    if isinstance(f, Circle):
        wkt = f"SRID=4326;POINT({f.lon!r} {f.lat!r})"
    elif isinstance(f, Corridor):  # a line and its half width, as a circle is a point and r
        wkt = "SRID=4326;LINESTRING(" + ",".join(f"{x!r} {y!r}" for x, y in f.path) + ")"
    else:
        wkt = "SRID=4326;POLYGON((" + ",".join(f"{x!r} {y!r}" for x, y in f.rings[0]) + "))"
    t = f'["{_stamp(int(vol.t0[i]))}","{_stamp(int(vol.t1[i]))}"]'
    numbers = "\t".join(repr(float(x[i])) for x in (vol.radius, vol.lower, vol.upper))
    r, lo, hi = numbers.split("\t")
    return f"{i}\t{wkt}\t{r}\t{t}\t{lo}\t{hi}"


def _stamp(ms: int) -> str:
    return (EPOCH + dt.timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")


# --- the measurements ---------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    engine: str
    naive: str = "-"
    postgis: str = "-"
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  {row.what}: engine {row.engine} | naive {row.naive} | PostGIS {row.postgis}"
            f"{' | ' + row.note if row.note else ''}",
            flush=True,
        )

    def say(self, note: str) -> None:
        self.notes.append(note)
        print(f"  {note}", flush=True)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def ratio(other: float, engine: float) -> str:
    if engine <= 0:
        return "-"
    return f"{other / engine:.2f}x" if other < 10 * engine else f"{other / engine:,.0f}x"


def probe_keys(detector: Detector, shapes: list[Shape], probes: Volumes) -> Iterator[int]:
    """Add each probe, yield its key while stored, then remove it."""
    for p, shape in enumerate(shapes):
        key = 10**9 + p
        detector.add(
            key,
            shape,
            kind=0,
            owner=p % 7,
            t0_ms=int(probes.t0[p]),
            t1_ms=int(probes.t1[p]),
            lower_m=float(probes.lower[p]),
            upper_m=float(probes.upper[p]),
        )
        yield key
        detector.remove(key)


def one_volume(
    report: Report, volumes: Volumes, probes: Volumes, sizes: list[int], pg: PostGIS | None
) -> None:
    detector = Detector(table(DEFAULT_LIKE))
    shapes = [Shape.of(f) for f in probes.footprints]
    if pg:
        pg.load("probes", probes, len(probes))
    loaded = 0
    for n in sizes:
        start = time.perf_counter()
        fill(detector, volumes, loaded, n)
        report.say(
            f"stored {n:,} (Shape.of + add, one by one): {time.perf_counter() - start:.1f} s"
        )
        loaded = n
        # As a node does after loading its notifications (services/notifications.py).
        gc.freeze()
        # Two passes, so that neither timing finds the caches the other warmed: the whole
        # check as a node runs it, then the index work alone.
        index_ms, total_ms, total_cpu_ms, found, candidates = [], [], [], [], []
        for key in probe_keys(detector, shapes, probes):
            t, cpu = time.perf_counter(), time.thread_time()
            hits = detector.hits_for(key)
            total_cpu_ms.append((time.thread_time() - cpu) * 1000)
            total_ms.append((time.perf_counter() - t) * 1000)
            found.append(sorted(h.a if h.b == key else h.b for h in hits))
        for key in probe_keys(detector, shapes, probes):
            t = time.perf_counter()
            candidates.append(len(detector.candidates(key)))
            index_ms.append((time.perf_counter() - t) * 1000)
        sample = min(n, 100_000)
        probe_count = 5 if n > 10_000 else 20
        naive = [
            ms * n / sample
            for ms in naive_one_ms(volumes, sample, probes, probe_count, DEFAULT_LIKE)
        ]
        naive_note = "" if sample == n else f"naive: {sample:,} of {n:,} timed, x{n // sample}"
        pg_ms: list[float] = []
        if pg:
            try:
                pg.load(f"v{n}", volumes, n)
                pg_ms, pg_found = pg.one_volume_ms(f"v{n}", "probes", DEFAULT_LIKE)
            except PostGISUnavailable as e:
                report.say(f"PostGIS, {n:,} stored, not measured: {e}")
        if pg_ms:
            differ = sum(a != b for a, b in zip(found, pg_found, strict=True))
            report.say(
                f"{n:,} stored: {differ} of {len(found)} probes get a different answer from PostGIS"
                + (f" (e.g. engine {_first_diff(found, pg_found)})" if differ else "")
            )
        for label, values in (("index alone", index_ms), ("index + exact", total_ms)):
            for q in (50, 99):
                mine = pct(values, q)
                report.add(
                    Row(
                        f"one volume vs {n:,} stored, {label}, p{q}",
                        f"{mine:.3f} ms",
                        f"{pct(naive, q):,.1f} ms ({ratio(pct(naive, q), mine)})",
                        f"{pct(pg_ms, q):.3f} ms ({ratio(pct(pg_ms, q), mine)})" if pg_ms else "-",
                        naive_note,
                    )
                )
        # A wall-clock percentile far above the processor time's is the machine (another
        # process ran), not the engine: a check runs on one thread, waiting on nothing.
        report.say(
            f"{n:,} stored: index + exact, processor time of the check (thread_time), "
            f"p50 {pct(total_cpu_ms, 50):.3f} ms, p99 {pct(total_cpu_ms, 99):.3f} ms"
        )
        report.say(
            f"{n:,} stored: per probe, mean {np.mean(candidates):.1f} candidates from the index, "
            f"{np.mean([len(f) for f in found]):.1f} conflicts"
        )


def _first_diff(a: list[list[int]], b: list[list[int]]) -> str:
    for x, y in zip(a, b, strict=True):
        if x != y:
            only_engine, only_postgis = sorted(set(x) - set(y)), sorted(set(y) - set(x))
            return f"{only_engine} not in PostGIS, PostGIS {only_postgis} not in engine"
    return ""


def all_pairs(report: Report, volumes: Volumes, count: int, pg: PostGIS | None) -> None:
    if pg:
        pg.load("pairs", volumes, count)
    for name, minima in (("zero minima", ZERO), ("5 km / 300 m / 300 s", DEFAULT_LIKE)):
        detector = Detector(table(minima))
        start = time.perf_counter()
        fill(detector, volumes, 0, count)
        report.say(f"{count:,} stored for all pairs ({name}): {time.perf_counter() - start:.1f} s")
        # As in one_volume: the stored volumes out of the collector's generations, as a node
        # holds them, so that no full collection of the million test volumes held by this
        # process lands inside the timing (one did: 2.5 s instead of 1.2 s).
        gc.freeze()
        start = time.perf_counter()
        hits = detector.all_hits()
        first = time.perf_counter() - start
        start = time.perf_counter()
        detector.all_hits()
        again = time.perf_counter() - start
        start = time.perf_counter()
        candidates = len(detector._index.pairs())  # the index's share of the work, alone
        index_s = time.perf_counter() - start
        sample = min(count, 1500)
        naive = (
            naive_all_pairs_s(volumes, sample, minima)
            * (count * (count - 1))
            / (sample * (sample - 1))
        )
        pg_s = -1.0
        try:
            if pg:
                pg_s, pg_pairs = pg.all_pairs("pairs", minima)
        except PostGISUnavailable as e:
            report.say(f"PostGIS all pairs ({name}) not measured: {e}")
        if pg_s >= 0:
            mine = {(h.a, h.b) for h in hits}
            pg_note = (
                f"PostGIS found {len(pg_pairs):,}; {len(mine - pg_pairs)} only by the engine, "
                f"{len(pg_pairs - mine)} only by PostGIS"
            )
            report.say(pg_note + (f": {sorted(mine ^ pg_pairs)[:5]}" if mine != pg_pairs else ""))
        times = count * (count - 1) / sample / (sample - 1)
        report.add(
            Row(
                f"all pairs among {count:,}, {name}"
                f" ({len(hits):,} conflicts, {candidates:,} candidates)",
                f"{first:.2f} s (again {again:.2f} s; index alone {index_s:.2f} s)",
                f"{naive:,.0f} s ({ratio(naive, first)}; {sample:,} timed, x{times:,.0f})",
                f"{pg_s:.2f} s ({ratio(pg_s, first)})" if pg_s >= 0 else "-",
            )
        )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="stored volumes, one-volume checks"
    )
    parser.add_argument("--pairs", type=int, default=100_000, help="volumes for all pairs")
    parser.add_argument("--probes", type=int, default=1000, help="new volumes checked at each size")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument(
        "--corridors", type=float, default=0.0, help="the share of volumes that are corridors"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    volumes = random_volumes(max(*sizes, args.pairs), SEED, args.corridors)
    probes = random_volumes(args.probes, SEED + 1, args.corridors)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="openline-decon-") as work:
        pg: PostGIS | None = None
        if not args.no_postgis:
            pg = PostGIS(Path(work))
            try:
                pg.start()
            except (PostGISUnavailable, OSError) as e:
                report.say(f"PostGIS not measured: {e}")
                pg = None
        try:
            print("All conflicting pairs", flush=True)
            all_pairs(report, volumes, args.pairs, pg)
            print("One new volume", flush=True)
            one_volume(report, volumes, probes, sizes, pg)
        finally:
            if pg:
                pg.stop()
    facts = machine_facts(Path(work).parent)
    print("\n| what | engine | naive shapely loop (ratio) | PostGIS (ratio) | note |")
    print("|---|---|---|---|---|")
    for r in report.rows:
        print(f"| {r.what} | {r.engine} | {r.naive} | {r.postgis} | {r.note} |")
    print()
    for k, v in facts.items():
        print(f"- {k}: {v}")
    print(f"- command: python bench/deconfliction_bench.py {' '.join(argv)}".rstrip())
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, as make runs it
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"- commit: {commit.stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
