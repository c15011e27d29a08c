"""Multipart parts grow with the object: S3 takes at most 10,000 parts, 5 GiB each."""

from __future__ import annotations

from typing import Any

import pytest
from offload_worker.s3_writer import MAX_PART_BYTES, MAX_PARTS, PART_BYTES, S3Writer, part_bytes
from offload_worker.shards.assemble import Assembly

MIB, GIB, TIB = 1 << 20, 1 << 30, 1 << 40


class FakeS3:
    """Counts parts and their sizes; keeps no bytes."""

    def __init__(self) -> None:
        self.parts: list[int] = []

    def create_multipart_upload(self, **_: Any) -> dict[str, str]:
        return {"UploadId": "u"}

    def upload_part(self, Body: bytes, PartNumber: int, **_: Any) -> dict[str, str]:
        assert PartNumber == len(self.parts) + 1 <= MAX_PARTS
        self.parts.append(len(Body))
        return {"ETag": f'"{PartNumber}"'}

    def upload_part_copy(self, CopySourceRange: str, PartNumber: int, **_: Any) -> dict[str, Any]:
        assert PartNumber == len(self.parts) + 1 <= MAX_PARTS
        first, last = (int(n) for n in CopySourceRange.removeprefix("bytes=").split("-"))
        self.parts.append(last - first + 1)
        return {"CopyPartResult": {"ETag": f'"{PartNumber}"'}}

    def complete_multipart_upload(self, MultipartUpload: dict[str, Any], **_: Any) -> dict[str, str]:
        assert len(MultipartUpload["Parts"]) == len(self.parts)
        assert all(size >= PART_BYTES for size in self.parts[:-1]) and max(self.parts) <= MAX_PART_BYTES
        return {"ETag": f'"multipart-{len(self.parts)}"'}  # as S3 answers: the worker reports it


def test_fixed_5_mib_parts_would_stop_under_49_gib() -> None:
    assert MAX_PARTS * PART_BYTES < 49 * GIB


@pytest.mark.parametrize("expected", [0, 1 * MIB, 48 * GIB, 60 * GIB, 300 * GIB, 1 * TIB, 5 * TIB])
def test_10000_parts_hold_twice_the_expected_object_up_to_s3s_5_tib(expected: int) -> None:
    sizes = [part_bytes(expected, number) for number in range(1, MAX_PARTS + 1)]
    assert sum(sizes) >= min(5 * TIB, max(2 * expected, 300 * GIB))
    assert min(sizes) >= PART_BYTES and max(sizes) <= MAX_PART_BYTES
    assert all(size % MIB == 0 for size in sizes)
    if expected <= 5_000 * PART_BYTES:  # up to 24 GiB: the least memory held, as before
        assert sizes[0] == PART_BYTES


def test_the_writer_cuts_a_60_gib_input_s_output_into_larger_parts() -> None:
    s3 = FakeS3()
    writer = S3Writer(s3, "b", "processed/big.csv", expected_bytes=60 * GIB)
    chunk = b"x" * MIB
    for _ in range(40):
        writer.write_bytes(chunk)
    writer.commit()
    assert s3.parts == [13 * MIB, 13 * MIB, 13 * MIB, 1 * MIB]  # 60 GiB / 5,000 parts, rounded up to MiB


def test_assembling_5_tib_of_shard_parts_stays_inside_10000_parts() -> None:
    s3 = FakeS3()
    assembly = Assembly(s3, "b", "processed/huge.csv")
    for _ in range(100):  # MAX_SHARDS' largest: 100 staged parts of 50 GiB, copied 4 GiB at a time
        assembly.add_object("staged", 50 * GIB + 12345)
    assembly.commit()
    assert sum(s3.parts) == 100 * (50 * GIB + 12345) and len(s3.parts) < MAX_PARTS
