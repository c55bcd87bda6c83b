"""The collector eased for bulk work, and given back exactly as it was."""

from __future__ import annotations

import gc

from core.gc_pause import eased_collection


def test_collection_is_eased_inside_and_restored_after() -> None:
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    with eased_collection(young_threshold=12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > frozen_before
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


def test_overlapping_blocks_share_one_easing_until_the_last_ends() -> None:
    before = gc.get_threshold()
    outer = eased_collection(young_threshold=20_000)
    inner = eased_collection(young_threshold=30_000)
    outer.__enter__()
    inner.__enter__()
    assert gc.get_threshold()[0] == 20_000  # the first block's easing holds
    outer.__exit__(None, None, None)  # concurrent imports may end in any order
    assert gc.get_threshold()[0] == 20_000
    inner.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_a_failing_block_restores_the_collector_too() -> None:
    before = gc.get_threshold()
    try:
        with eased_collection():
            raise ValueError("the import failed")
    except ValueError:
        pass
    assert gc.get_threshold() == before
