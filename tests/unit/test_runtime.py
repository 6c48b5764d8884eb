"""The server caps glibc's malloc arenas unless the environment already chose a number."""

import ctypes
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.runtime import M_ARENA_MAX, MALLOC_ARENAS, limit_malloc_arenas


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, parameter: int, value: int) -> int:
        self.calls.append((parameter, value))
        return 1


def test_arenas_are_capped_at_two_through_mallopt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    libc = FakeLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda _name: libc)
    assert limit_malloc_arenas() is True
    assert libc.calls == [(-8, 2)] == [(M_ARENA_MAX, MALLOC_ARENAS)]  # M_ARENA_MAX in glibc's malloc.h is -8


def test_an_explicit_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    libc = FakeLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda _name: libc)
    assert limit_malloc_arenas() is False
    assert libc.calls == []


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)

    def no_mallopt(_name: Any) -> object:
        return object()  # musl, macOS: no mallopt

    monkeypatch.setattr(ctypes, "CDLL", no_mallopt)
    assert limit_malloc_arenas() is False


def test_the_server_caps_the_arenas_at_start(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    started: list[str] = []

    def record() -> bool:
        started.append("capped")
        return True

    monkeypatch.setattr("app.main.limit_malloc_arenas", record)
    with TestClient(create_app(settings)):
        assert started == ["capped"]
