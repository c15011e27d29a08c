from offload_worker.duplicates import DuplicateCounter


def test_counts_repeats_in_memory() -> None:
    counter = DuplicateCounter()
    for key in ["a", "b", "a", "c", "a", "b"]:
        counter.add(key)
    assert counter.count() == 3


def test_counts_repeats_across_spilled_runs() -> None:
    counter = DuplicateCounter(chunk=7)
    keys = [str(i % 50) for i in range(230)]  # 50 distinct, 180 repeats
    for key in keys:
        counter.add(key)
    assert counter.count() == 180


def test_no_keys_no_repeats() -> None:
    assert DuplicateCounter().count() == 0
