"""Tasks for the sandbox tests: module-level so that worker processes can import them."""

import time


def spin_forever() -> None:
    while True:
        pass


def sleep_for(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def add(a: int, b: int) -> int:
    return a + b


def fail_with(message: str) -> None:
    raise ValueError(message)
