"""The node's conflict finder: its live notifications in the geometry engine, under its rules.

Every planned or active notification this node holds (its own and its peers') has its volumes in
one ``openline.geo.detection.Detector``. When a notification is stored, changed or withdrawn,
the finder says which conflicts it now has; ``services.notifications`` reconciles them with the
conflicts table. The finder is used on the writer's thread only, inside write operations, and
each change it makes is undone if the operation's transaction is rolled back.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from openline.domain.conflicts import DetectedConflict, Side, VolumeClash, gather
from openline.domain.notifications import Kind, Notification
from openline.domain.separation import KIND_CODES, SeparationRules
from openline.geo.detection import Detector, VolumeColumns
from openline.geo.footprints import Shape
from openline.geo.stored import read_volumes

Undo = Callable[[], None]


def minima_table(rules: SeparationRules) -> np.ndarray:
    """The rules as the engine's table: [kind_a, kind_b, same_owner] -> (lateral, vertical, time),
    NaN where the pair never conflicts."""
    kinds = list(Kind)
    table = np.full((len(kinds), len(kinds), 2, 3), np.nan)
    for a in kinds:
        for b in kinds:
            for same in (0, 1):
                found = rules.rule_for(a, "A", b, "A" if same else "B")
                if found is not None:
                    m = found[1]
                    table[KIND_CODES[a], KIND_CODES[b], same] = (
                        m.lateral_m,
                        m.vertical_m,
                        m.time_s,
                    )
    return table


class ConflictFinder:
    def __init__(self, rules: SeparationRules) -> None:
        self.rules = rules
        self._detector = Detector(minima_table(rules), shape_of=self._shape_of)
        self._owners: dict[str, int] = {}
        self._next_key = 0
        self._held: dict[str, Notification] = {}
        # Notifications loaded in bulk (load_records), as their records: read when first used.
        self._stored: dict[str, str] = {}
        self._read: Callable[[str], Notification] = _not_reading
        self._keys: dict[str, list[int]] = {}  # notification id -> the engine's keys, by volume
        self._volume_of: dict[int, tuple[str, int]] = {}  # engine key -> (notification, volume)

    def __contains__(self, notification_id: str) -> bool:
        return notification_id in self._held or notification_id in self._stored

    def __len__(self) -> int:
        return len(self._held) + len(self._stored)

    def load(self, notifications: Iterable[Notification]) -> None:
        """Take these live notifications."""
        for notification in notifications:
            self._add(notification)

    def load_records(
        self, records: Iterable[tuple[str, str]], read: Callable[[str], Notification]
    ) -> None:
        """Take the live notifications stored on this node (at start), as their ids and
        records (JSON text, checked when they came in), in bulk: their volumes go into the
        index at once, and each notification is read (``read(record)``) and its shapes built
        only when it is first compared exactly (geo/stored.py)."""
        self._read = read
        texts = dict(records)
        volumes = read_volumes(json.loads(text) for text in texts.values())
        keys = np.arange(self._next_key, self._next_key + len(volumes), dtype=np.int64)
        self._next_key += len(volumes)
        owners = [self._owners.setdefault(owner, len(self._owners)) for owner in volumes.owner]
        codes = {kind.value: code for kind, code in KIND_CODES.items()}
        t0_ms, t1_ms = volumes.windows_ms()
        columns = VolumeColumns(
            kind=np.array([codes[kind] for kind in volumes.kind], np.int64),
            owner=np.array(owners, np.int64),
            t0_ms=t0_ms,
            t1_ms=t1_ms,
            lower_m=np.array(volumes.lower_m),
            upper_m=np.array(volumes.upper_m),
        )
        self._detector.add_many(keys, volumes.boxes(self._detector.pad_m), columns)
        for key, notification_id, index in zip(
            keys.tolist(), volumes.notification, volumes.index, strict=True
        ):
            self._volume_of[key] = (notification_id, index)
            self._keys.setdefault(notification_id, []).append(key)
        self._stored.update(texts)

    def put(self, notification: Notification) -> Undo:
        """Hold ``notification`` (new, or a new version of one held); returns its undo."""
        previous = self._notification(notification.id) if notification.id in self else None
        if previous is not None:
            self._remove(previous.id)
        self._add(notification)

        def undo() -> None:
            self._remove(notification.id)
            if previous is not None:
                self._add(previous)

        return undo

    def drop(self, notification_id: str) -> Undo:
        """Stop holding a notification (cancelled or completed); returns its undo."""
        previous = self._notification(notification_id) if notification_id in self else None
        if previous is None:
            return lambda: None
        self._remove(notification_id)
        return lambda: self._add(previous)

    def conflicts_of(self, notification_id: str) -> list[DetectedConflict]:
        """Every conflict of a held notification with the others held, by key."""
        by_other: dict[str, list[VolumeClash]] = defaultdict(list)
        for key in self._keys.get(notification_id, []):
            for hit in self._detector.hits_for(key):
                # The engine orders each pair by the shapes' content before measuring it, so
                # both nodes get the same distance for the same two volumes.
                other = hit.b if hit.a == key else hit.a
                clash = VolumeClash(self._side(key), self._side(other), hit.distance_m)
                by_other[clash.b.notification_id].append(clash)
        found = []
        mine = self._notification(notification_id)
        for other_id, clashes in by_other.items():
            theirs = self._notification(other_id)
            rule = self.rules.rule_for(mine.kind, mine.owner, theirs.kind, theirs.owner)
            assert rule is not None  # the engine's table holds the same rules
            found.append(gather(rule[0], rule[1], clashes))
        return sorted(found, key=lambda c: c.key)

    def volumes_near(
        self,
        boxes: list[tuple[float, float, float, float]],
        window_s: tuple[float, float],
        band_m: tuple[float, float],
    ) -> list[tuple[Notification, int, Shape]]:
        """The held volumes that may meet these boxes, time window and altitude band (a few
        more too: callers check exactly), each as its notification, its place among the
        notification's volumes, and its footprint."""
        keys = self._detector.near(boxes, _ms(window_s[0]), _ms(window_s[1]), *band_m)
        found = []
        for key in keys.tolist():
            notification_id, index = self._volume_of[key]
            found.append((self._notification(notification_id), index, self._detector.shape(key)))
        return found

    def _side(self, key: int) -> Side:
        notification_id, index = self._volume_of[key]
        notification = self._notification(notification_id)
        volume = notification.volumes[index]
        return Side(
            notification_id=notification.id,
            owner=notification.owner,
            kind=notification.kind,
            volume=index,
            time_start=volume.time_start,
            time_end=volume.time_end,
            altitude_lower_m=volume.altitude_lower_m,
            altitude_upper_m=volume.altitude_upper_m,
        )

    def _add(self, notification: Notification) -> None:
        owner = self._owners.setdefault(notification.owner, len(self._owners))
        keys = []
        for index, volume in enumerate(notification.volumes):
            key = self._next_key
            self._next_key += 1
            shape = Shape.of(volume.footprint)
            self._detector.add(
                key,
                shape,
                kind=KIND_CODES[notification.kind],
                owner=owner,
                t0_ms=_ms(volume.time_start.timestamp()),
                t1_ms=_ms(volume.time_end.timestamp()),
                lower_m=volume.altitude_lower_m,
                upper_m=volume.altitude_upper_m,
            )
            keys.append(key)
            self._volume_of[key] = (notification.id, index)
        self._held[notification.id] = notification
        self._keys[notification.id] = keys

    def _remove(self, notification_id: str) -> None:
        for key in self._keys.pop(notification_id):
            self._detector.remove(key)
            del self._volume_of[key]
        self._held.pop(notification_id, None)
        self._stored.pop(notification_id, None)

    def _notification(self, notification_id: str) -> Notification:
        """A held notification, read from its record if it was loaded in bulk."""
        found = self._held.get(notification_id)
        if found is None:
            found = self._held[notification_id] = self._read(self._stored.pop(notification_id))
        return found

    def _shape_of(self, key: int) -> Shape:
        """The shape of a volume loaded in bulk, built when it is first compared."""
        notification_id, index = self._volume_of[key]
        return Shape.of(self._notification(notification_id).volumes[index].footprint)


def _not_reading(record: str) -> Notification:
    raise KeyError("no notification was loaded from its record")


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
