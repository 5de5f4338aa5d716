"""A recursion that swings across a frame-stack chunk's end maps a fresh chunk each time; stack_room.call stops it."""
import resource

from firma.platform import stack_room


def _dive(depth: int) -> int:
    return 0 if depth == 0 else _dive(depth - 1) + 1


def _swings(times: int = 2000, depth: int = 300) -> int:
    """Minor page faults taken by `times` dives of `depth` frames (~30 KB of frames: past a 16 KB chunk)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        _dive(depth)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_a_deep_recursion_faults_in_a_fresh_chunk_at_every_swing_unless_it_has_room():
    assert _swings() >= 1000  # the control: each dive maps, touches and unmaps the chunks past the first
    assert stack_room.call(_swings) < 100


def test_call_passes_arguments_and_returns_and_raises_as_the_function_would():
    assert stack_room.call(lambda a, *, b: a + b, 2, b=3) == 5
    try:
        stack_room.call(int, "x")
    except ValueError as exc:
        assert "invalid literal" in str(exc)
    else:
        raise AssertionError("the error did not come through")
