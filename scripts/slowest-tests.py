#!/usr/bin/env python3
"""Prints the N slowest tests of one or more .trx files (the results `dotnet test --logger trx` writes)."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def seconds(duration: str) -> float:
    hours, minutes, rest = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def main() -> None:
    count = int(sys.argv[1])
    results = []
    for path in sys.argv[2:]:
        for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", NS):
            results.append((seconds(result.get("duration", "0:0:0")), result.get("outcome"), result.get("testName")))
    results.sort(reverse=True)
    total = sum(r[0] for r in results)
    print(f"{len(results)} results, {total:.1f} s summed test time; the {min(count, len(results))} slowest:")
    for duration, outcome, name in results[:count]:
        print(f"{duration:8.2f} s  {outcome:7}  {name}")


if __name__ == "__main__":
    main()
