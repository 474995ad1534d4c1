"""How loading time grows with the size of pathological files (issue 10): linear or not.

`python -m eval.bench.loading` loads nested and wide HTML and bracket-heavy Markdown at
doubling sizes and prints each time with its ratio to the next smaller size (about 2 when
linear, about 4 when quadratic), and against loading plain text of the same bytes, measured
in the same run.
"""

import argparse
import os
import time
from collections.abc import Callable

from index.load import load_bytes

SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    "nested divs": (".html", lambda n: "<body>" + "<div>x" * n + "</div>" * n + "</body>"),
    "wide <p>": (".html", lambda n: "<html><body>" + "<p>x</p>" * n + "</body></html>"),
    "nested div+span": (
        ".html",
        lambda n: "<body>" + "<div><span>word " * n + "</span></div>" * n + "</body>",
    ),
    "markdown links": (".md", lambda n: "[a](https://e.org/wiki/A_(b)) " * n),
    "markdown unclosed [": (".md", lambda n: "[a](x" * n),
}


def seconds(name: str, data: bytes, repeat: int) -> float:
    """The best of `repeat` loads, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        load_bytes(name, data)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2500,5000,10000,20000,40000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| shape | n | KB | seconds | x previous size | x plain text of the same bytes |")
    print("|---|---|---|---|---|---|")
    for shape, (suffix, build) in SHAPES.items():
        previous = None
        for n in sizes:
            data = build(n).encode()
            took = seconds("bench" + suffix, data, args.repeat)
            plain = seconds("bench.txt", data, args.repeat)
            growth = f"{took / previous:.2f}" if previous else ""
            kb = len(data) / 1000
            print(f"| {shape} | {n} | {kb:.0f} | {took:.3f} | {growth} | {took / plain:.0f} |")
            previous = took
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
